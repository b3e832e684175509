using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class KubeletProxy
{
    private const int MaxHeadBytes = 64 * 1024;

    // Request headers the kubelet needs to run the same upgrade handshake the client started (WebSocket or SPDY).
    private static readonly string[] s_forwardedHeaders =
    [
        "Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions",
        "X-Stream-Protocol-Version", "User-Agent",
    ];

    // Response headers Kestrel writes itself on the 101 (or that only describe the kubelet's own connection).
    private static readonly HashSet<string> s_hopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Content-Length", "Transfer-Encoding", "Date", "Server", "Keep-Alive",
    };

    /// <summary>
    /// Opens a TLS connection to the kubelet with the client certificate, sends the request head (method, rewritten path,
    /// upgrade headers), reads the kubelet's response head; on 101 completes the client's upgrade with the kubelet's headers
    /// and splices both directions until either side closes; otherwise answers the kubelet's status and text as a Status.
    /// </summary>
    private async Task ProxyUpgradeAsync(HttpContext context, string host, int port, string pathAndQuery)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        using var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken);
        }
        catch (SocketException e)
        {
            throw KubeletUnreachable(host, port, e);
        }

        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    ClientCertificates = [_clientCertificate!],
                    RemoteCertificateValidationCallback = ValidateKubelet,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                },
                cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            throw KubeletUnreachable(host, port, e);
        }

        await tls.WriteAsync(RequestHead(context.Request, host, port, pathAndQuery), cancellationToken);
        await tls.FlushAsync(cancellationToken);
        (int status, List<KeyValuePair<string, string>> headers) = await ReadHeadAsync(tls, cancellationToken);
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (status == StatusCodes.Status101SwitchingProtocols)
        {
            if (upgrade is not { IsUpgradableRequest: true })
            {
                throw ApiErrors.BadRequest("Upgrade request required");
            }

            foreach ((string name, string value) in headers.Where(h => !s_hopHeaders.Contains(h.Key)))
            {
                context.Response.Headers.Append(name, value);
            }

            Stream client = await upgrade.UpgradeAsync();
            await SpliceAsync(client, tls, cancellationToken);
            return;
        }

        string body = await ReadBodyAsync(tls, headers, cancellationToken);
        throw FromKubelet(status, body);
    }

    private static byte[] RequestHead(HttpRequest request, string host, int port, string pathAndQuery)
    {
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(HostForUri(host)).Append(':').Append(port.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        foreach (string name in s_forwardedHeaders)
        {
            foreach (string? value in request.Headers[name])
            {
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        if (HttpMethods.IsPost(request.Method))
        {
            head.Append("Content-Length: 0\r\n");
        }

        head.Append("\r\n");
        return Encoding.Latin1.GetBytes(head.ToString());
    }

    /// <summary>Reads the response head byte by byte, so nothing of the upgraded stream that follows is consumed.</summary>
    private static async Task<(int Status, List<KeyValuePair<string, string>> Headers)> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(512);
        byte[] one = new byte[1];
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (bytes.Count >= MaxHeadBytes || await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new StatusException(502, "ServiceUnavailable", "the kubelet closed the connection without a complete response");
            }

            bytes.Add(one[0]);
        }

        string[] lines = Latin1([.. bytes]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        // "HTTP/1.1 101 Switching Protocols"
        string[] statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status))
        {
            throw new StatusException(502, "ServiceUnavailable", $"the kubelet sent a malformed status line: {lines[0]}");
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
        }

        return (status, headers);
    }

    /// <summary>A non-101 answer's body (Content-Length or chunked), capped; it becomes the Status message.</summary>
    private static async Task<string> ReadBodyAsync(Stream stream, List<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        string? length = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        bool chunked = headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                                        && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        var body = new MemoryStream();
        if (int.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            await ReadExactlyAsync(stream, body, Math.Min(count, MaxHeadBytes), cancellationToken);
        }
        else if (chunked)
        {
            while (body.Length < MaxHeadBytes)
            {
                string sizeLine = await ReadLineAsync(stream, cancellationToken);
                int size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    break;
                }

                await ReadExactlyAsync(stream, body, size, cancellationToken);
                await ReadLineAsync(stream, cancellationToken);
            }
        }

        return Encoding.UTF8.GetString(body.ToArray());
    }

    private static async Task ReadExactlyAsync(Stream stream, MemoryStream into, int count, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        into.Write(buffer);
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        byte[] one = new byte[1];
        while (await stream.ReadAsync(one, cancellationToken) > 0 && one[0] != '\n')
        {
            bytes.Add(one[0]);
        }

        return Latin1([.. bytes]).TrimEnd('\r');
    }

    /// <summary>Copies both directions until one side closes (or fails), then stops the other.</summary>
    private static async Task SpliceAsync(Stream client, Stream kubelet, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task up = PumpAsync(client, kubelet, stop.Token);
        Task down = PumpAsync(kubelet, client, stop.Token);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[32 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await to.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side closed or went away: the splice ends.
        }
    }
}
