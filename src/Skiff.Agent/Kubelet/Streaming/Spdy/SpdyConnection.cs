using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// One SPDY/3.1 session over a byte stream (an upgraded HTTP/1.1 connection, or a WebSocket used as a pipe), either end.
/// A single read loop dispatches frames: streams the peer opens queue on <see cref="IncomingStreams"/>, data goes to the
/// stream's pipe, PINGs from the peer are echoed, GOAWAY stops new streams. Writes are serialised by one lock, which also
/// keeps the outgoing header compression in send order.
/// Flow control: the kubelets and clients we talk to (Go's spdystream) neither send nor honour WINDOW_UPDATE, so none is
/// enforced in either direction; received WINDOW_UPDATE and SETTINGS frames are ignored.
/// </summary>
internal sealed class SpdyConnection : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly SpdyFramer _framer = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, SpdyStream> _streams = new();
    private readonly Channel<SpdyStream> _incoming = Channel.CreateUnbounded<SpdyStream>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _readLoop;
    private int _nextStreamId;
    private int _lastRemoteStreamId;
    private int _disposed;

    private SpdyConnection(Stream transport, bool isClient)
    {
        _transport = transport;
        _isClient = isClient;
        // §2.3.2: streams a client opens are odd, a server's even.
        _nextStreamId = isClient ? 1 : 2;
        _readLoop = Task.Run(() => ReadLoopAsync(_stop.Token));
    }

    /// <summary>Streams the peer opened (SYN_STREAM), in order; completes at GOAWAY or when the connection ends.</summary>
    public ChannelReader<SpdyStream> IncomingStreams => _incoming.Reader;

    /// <summary>Completes when the read side ends: the peer closed the connection, it broke, or this was disposed.</summary>
    public Task Completion => _readLoop;

    /// <summary>True once the peer sent GOAWAY.</summary>
    public bool GoAwayReceived { get; private set; }

    /// <summary>Starts a session over <paramref name="transport"/>, which it owns from now on.</summary>
    public static SpdyConnection Start(Stream transport, bool isClient)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return new SpdyConnection(transport, isClient);
    }

    /// <summary>Opens a stream with <paramref name="headers"/> (SYN_STREAM); await its <see cref="SpdyStream.WaitReplyAsync"/> before sending data.</summary>
    public async Task<SpdyStream> OpenStreamAsync(IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        SpdyStream stream;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = _nextStreamId;
            _nextStreamId += 2;
            stream = new SpdyStream(this, id, headers, locallyOpened: true);
            _streams[id] = stream;
            await WriteLockedAsync(SpdyFrame.SynStream(id, headers), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        return stream;
    }

    /// <summary>Sends GOAWAY naming the last stream the peer opened; further SYN_STREAMs from the peer are refused.</summary>
    public Task GoAwayAsync(CancellationToken cancellationToken) =>
        SendAsync(SpdyFrame.GoAway(Volatile.Read(ref _lastRemoteStreamId)), cancellationToken);

    internal async Task SendAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteLockedAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal void Forget(int streamId) => _streams.TryRemove(streamId, out _);

    private async Task WriteLockedAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        var bytes = _framer.Encode(frame);
        await _transport.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            while (await _framer.ReadFrameAsync(_transport, cancellationToken).ConfigureAwait(false) is { } frame)
            {
                await DispatchAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException
                                      or System.Net.WebSockets.WebSocketException
                                      || (e is InvalidOperationException && Volatile.Read(ref _disposed) != 0))
        {
            // The connection broke or was torn down: every open stream sees the end of its data below. A pipe-backed transport
            // disposed under a pending read says so with InvalidOperationException ("reader was completed"), which CI caught
            // escaping from DisposeAsync.
            failure = e;
        }
        finally
        {
            _incoming.Writer.TryComplete();
            foreach (var stream in _streams.Values)
            {
                stream.OnRemoteEnd(failure);
            }
        }
    }

    private async Task DispatchAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case SpdyFrameType.Data:
                if (_streams.TryGetValue(frame.StreamId, out var target))
                {
                    await target.OnDataAsync(frame.Payload, frame.IsFin, cancellationToken).ConfigureAwait(false);
                }
                break;
            case SpdyFrameType.SynStream:
                if (GoAwayReceived || !IsRemoteId(frame.StreamId) || _streams.ContainsKey(frame.StreamId))
                {
                    await SendAsync(SpdyFrame.RstStream(frame.StreamId, SpdyStatus.ProtocolError), cancellationToken).ConfigureAwait(false);
                    break;
                }
                var opened = new SpdyStream(this, frame.StreamId, frame.Headers, locallyOpened: false);
                Volatile.Write(ref _lastRemoteStreamId, frame.StreamId);
                _streams[frame.StreamId] = opened;
                if (frame.IsFin || (frame.Flags & SpdyFrame.FlagUnidirectional) != 0)
                {
                    opened.OnRemoteEnd(null);
                }
                _incoming.Writer.TryWrite(opened);
                break;
            case SpdyFrameType.SynReply:
                if (_streams.TryGetValue(frame.StreamId, out var replied))
                {
                    replied.OnReply(frame.Headers);
                    if (frame.IsFin)
                    {
                        replied.OnRemoteEnd(null);
                    }
                }
                break;
            case SpdyFrameType.Headers:
                if (frame.IsFin && _streams.TryGetValue(frame.StreamId, out var finished))
                {
                    finished.OnRemoteEnd(null);
                }
                break;
            case SpdyFrameType.RstStream:
                if (_streams.TryRemove(frame.StreamId, out var reset))
                {
                    reset.OnReset((SpdyStatus)frame.Value);
                }
                break;
            case SpdyFrameType.Ping:
                // Our own pings would have our parity; we send none, so every ping of the other parity is the peer's to echo.
                if ((frame.Value & 1) != (_isClient ? 1 : 0))
                {
                    await SendAsync(frame, cancellationToken).ConfigureAwait(false);
                }
                break;
            case SpdyFrameType.GoAway:
                GoAwayReceived = true;
                _incoming.Writer.TryComplete();
                break;
            default:
                break;
        }
    }

    private bool IsRemoteId(int streamId) => streamId != 0 && (streamId & 1) == (_isClient ? 0 : 1);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The read loop's own catch covers the usual cases; this is the cancellation racing its start.
        }
        // The write lock is left to the GC: a pump still finishing may wait on it and must see the transport's error, not a
        // disposed semaphore.
        _stop.Dispose();
    }
}
