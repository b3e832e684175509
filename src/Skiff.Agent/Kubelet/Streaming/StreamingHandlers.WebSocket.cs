using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Skiff.Agent.Kubelet.Streaming.Spdy;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>exec/attach for WebSocket clients: channel-prefixed binary messages translated to the runtime's SPDY streams.</summary>
public sealed partial class StreamingHandlers
{
    private const byte StdinChannel = 0;
    private const byte StdoutChannel = 1;
    private const byte StderrChannel = 2;
    private const byte ErrorChannel = 3;
    private const byte ResizeChannel = 4;
    private const byte CloseChannel = 255;

    private static readonly byte[] s_successStatus = """{"metadata":{},"status":"Success"}"""u8.ToArray();

    private async Task BridgeWebSocketAsync(HttpContext context, StreamUpgrade upgrade, ExecOptions options, SpdyConnection backend,
        CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.RequestAborted);
        var token = cts.Token;
        // The runtime's kubelet-style server expects the error stream first, then the others it was told about.
        var error = await OpenRuntimeStreamAsync(backend, "error", token).ConfigureAwait(false);
        var stdin = options.Stdin ? await OpenRuntimeStreamAsync(backend, "stdin", token).ConfigureAwait(false) : null;
        var stdout = options.Stdout ? await OpenRuntimeStreamAsync(backend, "stdout", token).ConfigureAwait(false) : null;
        var stderr = options.Stderr ? await OpenRuntimeStreamAsync(backend, "stderr", token).ConfigureAwait(false) : null;
        var resize = options.Tty ? await OpenRuntimeStreamAsync(backend, "resize", token).ConfigureAwait(false) : null;
        SpdyStream?[] opened = [error, stdin, stdout, stderr, resize];
        await Task.WhenAll(opened.OfType<SpdyStream>().Select(s => s.WaitReplyAsync(token)))
            .WaitAsync(s_streamReplyTimeout, _time, token).ConfigureAwait(false);

        using var webSocket = await upgrade.AcceptWebSocketAsync(context).ConfigureAwait(false);
        using var sendLock = new SemaphoreSlim(1, 1);
        var outputs = new List<Task>();
        if (stdout is not null)
        {
            outputs.Add(PumpToChannelAsync(webSocket, sendLock, StdoutChannel, stdout.Input, token));
        }
        if (stderr is not null)
        {
            outputs.Add(PumpToChannelAsync(webSocket, sendLock, StderrChannel, stderr.Input, token));
        }
        var status = ReadToEndAsync(error.Input, token);
        var input = PumpFromChannelsAsync(webSocket, upgrade.Protocol == StreamUpgrade.V5Channel, stdin, resize, token);
        var outputDone = Task.WhenAll(outputs.Append(status));
        try
        {
            if (await Task.WhenAny(outputDone, input).ConfigureAwait(false) == outputDone)
            {
                await outputDone.ConfigureAwait(false);
                // Both output streams are drained, so the status is the last thing the client reads before the close.
                var statusBytes = await status.ConfigureAwait(false);
                await SendChannelAsync(webSocket, sendLock, ErrorChannel, new ReadOnlySequence<byte>(statusBytes.Length == 0 ? s_successStatus : statusBytes),
                    token).ConfigureAwait(false);
                await webSocket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", token).ConfigureAwait(false);
                await WaitQuietlyAsync(input, s_closeGrace, token).ConfigureAwait(false);
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await WaitQuietlyAsync(Task.WhenAll(outputs.Append(status).Append(input)), Timeout.InfiniteTimeSpan, CancellationToken.None)
                .ConfigureAwait(false);
        }
    }

    private static Task<SpdyStream> OpenRuntimeStreamAsync(SpdyConnection backend, string type, CancellationToken cancellationToken) =>
        backend.OpenStreamAsync([new("streamtype", type)], cancellationToken);

    private static async Task PumpToChannelAsync(WebSocket webSocket, SemaphoreSlim sendLock, byte channel, PipeReader from,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await from.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!result.Buffer.IsEmpty)
            {
                await SendChannelAsync(webSocket, sendLock, channel, result.Buffer, cancellationToken).ConfigureAwait(false);
            }
            from.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async Task SendChannelAsync(WebSocket webSocket, SemaphoreSlim sendLock, byte channel, ReadOnlySequence<byte> data,
        CancellationToken cancellationToken)
    {
        var message = new byte[1 + data.Length];
        message[0] = channel;
        data.CopyTo(message.AsSpan(1));
        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await webSocket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>Client messages: stdin (0), resize (4) and, in v5, the close signal (255) whose payload names the channel to close.</summary>
    private static async Task PumpFromChannelsAsync(WebSocket webSocket, bool v5, SpdyStream? stdin, SpdyStream? resize,
        CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        var message = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await webSocket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            message.Write(buffer.AsSpan(0, result.Count));
            if (!result.EndOfMessage)
            {
                continue;
            }
            var bytes = message.WrittenMemory;
            if (bytes.Length > 0)
            {
                var payload = bytes[1..];
                switch (bytes.Span[0])
                {
                    case StdinChannel when stdin is not null:
                        await stdin.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                        break;
                    case ResizeChannel when resize is not null:
                        await resize.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
                        break;
                    case CloseChannel when v5 && stdin is not null && payload.Length > 0 && payload.Span[0] == StdinChannel:
                        await stdin.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        break;
                }
            }
            message.ResetWrittenCount();
        }
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader from, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await from.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                from.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            from.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Waits for <paramref name="task"/> up to <paramref name="timeout"/>; its failure is the session's end, not an error.</summary>
    private async Task WaitQuietlyAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or WebSocketException
                                      or ObjectDisposedException or InvalidOperationException)
        {
            // The peer went away or the session was cancelled: nothing is left to deliver.
        }
    }
}
