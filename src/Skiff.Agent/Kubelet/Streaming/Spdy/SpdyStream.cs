using System.Buffers;
using System.IO.Pipelines;

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// One SPDY stream of a <see cref="SpdyConnection"/>. What the peer sends arrives in <see cref="Input"/> (completed at the
/// peer's FIN, RST_STREAM or the connection's end); <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> sends DATA and <see cref="CloseWriteAsync"/>
/// half-closes with an empty FIN frame. A stream the peer opened must be answered with <see cref="ReplyAsync"/> before
/// data is sent on it (Go's spdystream drops data that arrives before the reply).
/// </summary>
internal sealed class SpdyStream
{
    /// <summary>Data frames are cut to this size so one stream cannot hold the connection's write lock for long.</summary>
    private const int MaxDataFrame = 32 * 1024;

    private readonly SpdyConnection _connection;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    private readonly TaskCompletionSource _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _locallyOpened;
    private int _remoteEnded;
    private int _localEnded;

    internal SpdyStream(SpdyConnection connection, int id, IReadOnlyList<KeyValuePair<string, string>> headers, bool locallyOpened)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
        _locallyOpened = locallyOpened;
        if (!locallyOpened)
        {
            _reply.TrySetResult();
        }
    }

    public int Id { get; }

    /// <summary>The SYN_STREAM headers (for a stream we opened: the ones we sent).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The bytes the peer sends on this stream; completes at the peer's FIN or reset.</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>Set when the peer reset the stream.</summary>
    public SpdyStatus? ResetStatus { get; private set; }

    public string? Header(string name) => SpdyFrame.Header(Headers, name);

    /// <summary>Answers a stream the peer opened (SYN_REPLY with no headers).</summary>
    public Task ReplyAsync(CancellationToken cancellationToken) =>
        _connection.SendAsync(SpdyFrame.SynReply(Id, []), cancellationToken);

    /// <summary>Waits for the peer's SYN_REPLY to a stream we opened; throws if it resets the stream or the connection ends.</summary>
    public Task WaitReplyAsync(CancellationToken cancellationToken) =>
        _locallyOpened ? _reply.Task.WaitAsync(cancellationToken) : Task.CompletedTask;

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty && Volatile.Read(ref _localEnded) == 0)
        {
            var chunk = data[..Math.Min(data.Length, MaxDataFrame)];
            await _connection.SendAsync(SpdyFrame.Data(Id, chunk, fin: false), cancellationToken).ConfigureAwait(false);
            data = data[chunk.Length..];
        }
    }

    public async Task WriteAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        foreach (var segment in data)
        {
            await WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Half-closes our side (empty DATA with FIN); later writes are dropped. Idempotent.</summary>
    public async Task CloseWriteAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _localEnded, 1) != 0)
        {
            return;
        }
        await _connection.SendAsync(SpdyFrame.Data(Id, ReadOnlyMemory<byte>.Empty, fin: true), cancellationToken).ConfigureAwait(false);
        ForgetIfDone();
    }

    /// <summary>Aborts the stream both ways (RST_STREAM).</summary>
    public async Task ResetAsync(SpdyStatus status, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _localEnded, 1);
        OnRemoteEnd(null);
        _connection.Forget(Id);
        await _connection.SendAsync(SpdyFrame.RstStream(Id, status), cancellationToken).ConfigureAwait(false);
    }

    internal void OnReply(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        _ = headers;
        _reply.TrySetResult();
    }

    internal async ValueTask OnDataAsync(ReadOnlyMemory<byte> payload, bool fin, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _remoteEnded) != 0)
        {
            return;
        }
        if (!payload.IsEmpty)
        {
            // The pipe never pauses the writer (pauseWriterThreshold 0), so the read loop is not held up by a slow reader.
            await _input.Writer.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        if (fin)
        {
            OnRemoteEnd(null);
        }
    }

    internal void OnReset(SpdyStatus status)
    {
        ResetStatus = status;
        Interlocked.Exchange(ref _localEnded, 1);
        _reply.TrySetException(new IOException("SPDY stream " + Id + " was reset (" + status + ")"));
        OnRemoteEnd(null);
    }

    internal void OnRemoteEnd(Exception? failure)
    {
        if (Interlocked.Exchange(ref _remoteEnded, 1) != 0)
        {
            return;
        }
        _reply.TrySetException(failure ?? new IOException("SPDY stream " + Id + " ended before its reply"));
        _input.Writer.Complete();
        ForgetIfDone();
    }

    private void ForgetIfDone()
    {
        if (Volatile.Read(ref _remoteEnded) != 0 && Volatile.Read(ref _localEnded) != 0)
        {
            _connection.Forget(Id);
        }
    }
}
