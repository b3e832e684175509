using System.IO.Pipelines;
using Skiff.Agent.Kubelet.Streaming.Spdy;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>
/// SPDY clients (exec/attach, port-forward): each stream the client opens is opened with the same headers towards the
/// runtime, in the same order (the runtime pairs them by <c>streamtype</c>, <c>port</c> and <c>requestid</c>), answered at
/// once, and relayed both ways; FIN and RST_STREAM are passed on.
/// </summary>
public sealed partial class StreamingHandlers
{
    private async Task RelaySpdyAsync(Stream transport, SpdyConnection backend, CancellationToken cancellationToken)
    {
        await using var front = SpdyConnection.Start(transport, isClient: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var relays = new List<Task>();
        var accept = AcceptStreamsAsync(front, backend, relays, token);
        try
        {
            var first = await Task.WhenAny(front.Completion, backend.Completion, accept).ConfigureAwait(false);
            if (first == accept)
            {
                // The client sent GOAWAY: the streams it has keep going until it closes the connection or the runtime ends.
                await Task.WhenAny(front.Completion, backend.Completion).ConfigureAwait(false);
            }
            if (!front.Completion.IsCompleted)
            {
                // The runtime is done (the command exited): let the client read what is left, then close.
                await WaitQuietlyAsync(Task.WhenAll(Snapshot(relays)), s_closeGrace, token).ConfigureAwait(false);
                await WaitQuietlyAsync(front.GoAwayAsync(token), s_closeGrace, token).ConfigureAwait(false);
                await WaitQuietlyAsync(front.Completion, s_closeGrace, token).ConfigureAwait(false);
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await WaitQuietlyAsync(accept, Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
            await WaitQuietlyAsync(Task.WhenAll(Snapshot(relays)), Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task AcceptStreamsAsync(SpdyConnection front, SpdyConnection backend, List<Task> relays, CancellationToken cancellationToken)
    {
        await foreach (var client in front.IncomingStreams.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var runtime = await backend.OpenStreamAsync(client.Headers, cancellationToken).ConfigureAwait(false);
            await client.ReplyAsync(cancellationToken).ConfigureAwait(false);
            lock (relays)
            {
                relays.Add(RelayStreamAsync(client, runtime, cancellationToken));
            }
        }
    }

    private async Task RelayStreamAsync(SpdyStream client, SpdyStream runtime, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                await runtime.WaitReplyAsync(cancellationToken).WaitAsync(s_streamReplyTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                await client.ResetAsync(runtime.ResetStatus ?? SpdyStatus.RefusedStream, cancellationToken).ConfigureAwait(false);
                return;
            }
            var up = CopyAsync(client.Input, runtime, cancellationToken);
            await CopyAsync(runtime.Input, client, cancellationToken).ConfigureAwait(false);
            if (runtime.ResetStatus is { } status)
            {
                await client.ResetAsync(status, cancellationToken).ConfigureAwait(false);
            }
            await up.ConfigureAwait(false);
            if (client.ResetStatus is { } clientStatus)
            {
                await runtime.ResetAsync(clientStatus, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Log.RelayStreamFailed(_logger, client.Id, e);
        }
    }

    /// <summary>Copies until the sender's FIN (or reset), then half-closes the other side.</summary>
    private static async Task CopyAsync(PipeReader from, SpdyStream to, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await from.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!result.Buffer.IsEmpty)
            {
                await to.WriteAsync(result.Buffer, cancellationToken).ConfigureAwait(false);
            }
            from.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        await to.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task[] Snapshot(List<Task> relays)
    {
        lock (relays)
        {
            return [.. relays];
        }
    }
}
