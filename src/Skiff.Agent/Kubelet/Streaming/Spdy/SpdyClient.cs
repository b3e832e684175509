using System.Net.Sockets;
using System.Text;

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// Dials a streaming URL (the runtime's exec, attach or port-forward URL) and upgrades the HTTP/1.1 connection to SPDY/3.1:
/// <c>POST</c> with <c>Upgrade: SPDY/3.1</c> and the sub-protocol in <c>X-Stream-Protocol-Version</c>, expecting 101.
/// Only plain http is spoken: containerd's streaming server listens on loopback without TLS unless told otherwise.
/// </summary>
internal static class SpdyClient
{
    private const int MaxResponseHeaderBytes = 16 * 1024;

    /// <summary>The upgraded connection and the sub-protocol the server chose.</summary>
    public static async Task<(SpdyConnection Connection, string Protocol)> ConnectAsync(Uri url, IReadOnlyList<string> protocols,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(protocols);
        if (url.Scheme != Uri.UriSchemeHttp)
        {
            throw new NotSupportedException("streaming URL scheme " + url.Scheme + " is not supported (only http)");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, cancellationToken).ConfigureAwait(false);
            var stream = new NetworkStream(socket, ownsSocket: true);
            var request = new StringBuilder()
                .Append("POST ").Append(url.PathAndQuery).Append(" HTTP/1.1\r\n")
                .Append("Host: ").Append(url.Authority).Append("\r\n")
                .Append("Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n");
            foreach (var protocol in protocols)
            {
                request.Append("X-Stream-Protocol-Version: ").Append(protocol).Append("\r\n");
            }
            request.Append("\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken).ConfigureAwait(false);
            var (status, headers, head) = await ReadResponseHeadAsync(stream, cancellationToken).ConfigureAwait(false);
            if (status != 101)
            {
                var body = new byte[4096];
                var n = await stream.ReadAtLeastAsync(body, 1, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                throw new IOException("streaming server answered " + head + ": " + Encoding.UTF8.GetString(body, 0, n).Trim());
            }
            headers.TryGetValue("x-stream-protocol-version", out var chosen);
            return (SpdyConnection.Start(stream, isClient: true), chosen ?? "");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the status line and headers one byte at a time, so nothing of the SPDY session after them is consumed.</summary>
    private static async Task<(int Status, Dictionary<string, string> Headers, string StatusLine)> ReadResponseHeadAsync(Stream stream,
        CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(512);
        var one = new byte[1];
        while (bytes.Count < 4 || bytes[^1] != '\n' || bytes[^2] != '\r' || bytes[^3] != '\n' || bytes[^4] != '\r')
        {
            if (bytes.Count > MaxResponseHeaderBytes)
            {
                throw new IOException("streaming server's response head is too large");
            }
            await stream.ReadExactlyAsync(one, cancellationToken).ConfigureAwait(false);
            bytes.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ', 3);
        if (parts.Length < 2 || !int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var status))
        {
            throw new IOException("streaming server sent a bad status line: " + lines[0]);
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return (status, headers, lines[0]);
    }
}
