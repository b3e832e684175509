using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Skiff.Agent.Kubelet.Streaming.Spdy;

namespace Skiff.Agent.Tests.Kubelet.Streaming;

/// <summary>What a session printed: stdout, stderr, the status JSON (channel 3 or the error stream) and the close status.</summary>
internal sealed record SessionOutput(string Stdout, string Stderr, string Status, WebSocketCloseStatus? Close = null);

/// <summary>Clients that speak kubectl's side of the protocols, built on this project's framer (SPDY) or ClientWebSocket.</summary>
internal static class StreamTestClients
{
    /// <summary>The X-Stream-Protocol-Version list kubectl 1.32 offers for exec over SPDY.</summary>
    public static readonly string[] KubectlSpdyExecProtocols =
        ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    /// <summary>
    /// A v5 WebSocket exec: sends each of <paramref name="stdin"/> on channel 0 (and <paramref name="resize"/> on channel 4
    /// first), then the v5 close signal for stdin when <paramref name="closeStdin"/>, and reads until the server closes.
    /// </summary>
    public static async Task<SessionOutput> WebSocketExecAsync(Uri uri, string protocol, IEnumerable<string> stdin, bool closeStdin,
        CancellationToken cancellationToken, string? resize = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(protocol);
        await socket.ConnectAsync(WebSocketUri(uri), cancellationToken);
        Assert.Equal(protocol, socket.SubProtocol);
        if (resize is not null)
        {
            await SendAsync(socket, 4, Encoding.UTF8.GetBytes(resize), cancellationToken);
        }
        foreach (var text in stdin)
        {
            await SendAsync(socket, 0, Encoding.UTF8.GetBytes(text), cancellationToken);
        }
        if (closeStdin)
        {
            await SendAsync(socket, 255, [0], cancellationToken);
        }
        var channels = new[] { new StringBuilder(), new StringBuilder(), new StringBuilder(), new StringBuilder() };
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }
            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }
            var bytes = message.ToArray();
            message.SetLength(0);
            if (bytes.Length > 0 && bytes[0] < channels.Length)
            {
                channels[bytes[0]].Append(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
            }
        }
        var close = socket.CloseStatus;
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken);
        return new SessionOutput(channels[1].ToString(), channels[2].ToString(), channels[3].ToString(), close);
    }

    /// <summary>An exec over SPDY/3.1 as kubectl does it: streams error, stdin, stdout, stderr; stdin written, then FIN.</summary>
    public static async Task<SessionOutput> SpdyExecAsync(Uri uri, string? stdin, CancellationToken cancellationToken)
    {
        var (connection, protocol) = await SpdyClient.ConnectAsync(uri, KubectlSpdyExecProtocols, cancellationToken);
        await using var _ = connection;
        Assert.Equal("v4.channel.k8s.io", protocol);
        var error = await OpenAsync(connection, cancellationToken, ("streamtype", "error"));
        var input = stdin is null ? null : await OpenAsync(connection, cancellationToken, ("streamtype", "stdin"));
        var stdout = await OpenAsync(connection, cancellationToken, ("streamtype", "stdout"));
        var stderr = await OpenAsync(connection, cancellationToken, ("streamtype", "stderr"));
        if (input is not null)
        {
            await input.WriteAsync(Encoding.UTF8.GetBytes(stdin!), cancellationToken);
            await input.CloseWriteAsync(cancellationToken);
        }
        var output = ReadAllAsync(stdout.Input, cancellationToken);
        var errors = ReadAllAsync(stderr.Input, cancellationToken);
        var status = await ReadAllAsync(error.Input, cancellationToken);
        return new SessionOutput(await output, await errors, status);
    }

    /// <summary>
    /// One port-forward connection on <paramref name="connection"/> as kubectl opens it: the error stream (half-closed at
    /// once), then the data stream. Reads the data stream to its FIN, then the error stream to its FIN.
    /// </summary>
    public static async Task<(string Data, string Error)> ForwardOnceAsync(SpdyConnection connection, int port, int requestId,
        CancellationToken cancellationToken)
    {
        var (error, data) = await OpenForwardAsync(connection, port, requestId, cancellationToken);
        var received = await ReadAllAsync(data.Input, cancellationToken);
        var errorText = await ReadAllAsync(error.Input, cancellationToken);
        await data.CloseWriteAsync(cancellationToken);
        return (received, errorText);
    }

    public static async Task<(SpdyStream Error, SpdyStream Data)> OpenForwardAsync(SpdyConnection connection, int port, int requestId,
        CancellationToken cancellationToken)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var id = requestId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var error = await OpenAsync(connection, cancellationToken, ("streamtype", "error"), ("port", portText), ("requestid", id));
        await error.CloseWriteAsync(cancellationToken);
        var data = await OpenAsync(connection, cancellationToken, ("streamtype", "data"), ("port", portText), ("requestid", id));
        return (error, data);
    }

    /// <summary>Reads <paramref name="reader"/> until <paramref name="expected"/> has arrived (or the stream ends).</summary>
    public static async Task<string> ReadUntilAsync(PipeReader reader, string expected, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (!text.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var result = await reader.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.UTF8.GetString(segment.Span));
            }
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        return text.ToString();
    }

    /// <summary>A client WebSocket handshake written by hand, for sub-protocol names ClientWebSocket refuses.</summary>
    public static async Task<(WebSocket Socket, string Protocol)> ConnectWebSocketAsync(Uri uri, string protocol,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(uri.Host, uri.Port, cancellationToken);
        var stream = new NetworkStream(socket, ownsSocket: true);
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var request = "GET " + uri.PathAndQuery + " HTTP/1.1\r\nHost: " + uri.Authority + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || Encoding.ASCII.GetString(head.ToArray(), head.Count - 4, 4) != "\r\n\r\n")
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        Assert.StartsWith("HTTP/1.1 101", lines[0], StringComparison.Ordinal);
        var chosen = lines.FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Protocol:", StringComparison.OrdinalIgnoreCase))?
            .Split(':', 2)[1].Trim() ?? "";
        return (WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false }), chosen);
    }

    public static Uri WebSocketUri(Uri uri) => new UriBuilder(uri) { Scheme = "ws" }.Uri;

    public static async Task<string> ReadAllAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.UTF8.GetString(segment.Span));
            }
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return text.ToString();
            }
        }
    }

    private static async Task<SpdyStream> OpenAsync(SpdyConnection connection, CancellationToken cancellationToken,
        params (string Name, string Value)[] headers)
    {
        var stream = await connection.OpenStreamAsync(headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList(),
            cancellationToken);
        await stream.WaitReplyAsync(cancellationToken);
        return stream;
    }

    private static async Task SendAsync(ClientWebSocket socket, byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message, 1);
        await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }
}
