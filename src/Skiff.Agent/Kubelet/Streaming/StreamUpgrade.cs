using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>How a client asked to upgrade: a WebSocket (RFC 6455) or SPDY/3.1, with the sub-protocol this kubelet chose.</summary>
internal sealed record StreamUpgrade(bool IsWebSocket, string Protocol)
{
    public const string V5Channel = "v5.channel.k8s.io";
    public const string V4Channel = "v4.channel.k8s.io";
    public const string PortForward = "portforward.k8s.io";
    public const string WebSocketPortForward = "SPDY/3.1+portforward.k8s.io";

    /// <summary>SPDY exec and attach protocols in our order of preference; each is relayed unchanged to the runtime.</summary>
    public static readonly string[] SpdyExecProtocols = [V4Channel, "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    private const string WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>
    /// The upgrade <paramref name="context"/> asks for, choosing the first of <paramref name="webSocketProtocols"/> the client
    /// offers in <c>Sec-WebSocket-Protocol</c>, or of <paramref name="spdyProtocols"/> in <c>X-Stream-Protocol-Version</c>;
    /// null with a reason when it is no upgrade or offers nothing we speak.
    /// </summary>
    public static StreamUpgrade? Negotiate(HttpContext context, IReadOnlyList<string> webSocketProtocols, IReadOnlyList<string> spdyProtocols,
        out string reason)
    {
        var request = context.Request;
        var upgrade = request.Headers.Upgrade.ToString();
        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
        {
            reason = "the request is not an HTTP/1.1 upgrade";
            return null;
        }
        if (upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase))
        {
            var offered = Tokens(request.Headers.SecWebSocketProtocol);
            var chosen = webSocketProtocols.FirstOrDefault(offered.Contains);
            reason = chosen is null ? "no WebSocket sub-protocol in common (offered: " + string.Join(", ", offered) + ")" : "";
            return chosen is null ? null : new StreamUpgrade(true, chosen);
        }
        if (upgrade.Equals("SPDY/3.1", StringComparison.OrdinalIgnoreCase))
        {
            var offered = Tokens(request.Headers["X-Stream-Protocol-Version"]);
            var chosen = spdyProtocols.FirstOrDefault(offered.Contains);
            reason = chosen is null ? "no stream protocol in common (offered: " + string.Join(", ", offered) + ")" : "";
            return chosen is null ? null : new StreamUpgrade(false, chosen);
        }
        reason = "unsupported upgrade '" + upgrade + "'";
        return null;
    }

    /// <summary>Answers 101 and returns the raw connection (SPDY) or a server WebSocket over it.</summary>
    public async Task<Stream> AcceptSpdyAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.Connection = "Upgrade";
        response.Headers.Upgrade = "SPDY/3.1";
        response.Headers["X-Stream-Protocol-Version"] = Protocol;
        return await Feature(context).UpgradeAsync().ConfigureAwait(false);
    }

    public async Task<WebSocket> AcceptWebSocketAsync(HttpContext context)
    {
        var key = context.Request.Headers.SecWebSocketKey.ToString();
        var response = context.Response;
        response.Headers.Connection = "Upgrade";
        response.Headers.Upgrade = "websocket";
#pragma warning disable CA5350 // RFC 6455 §4.2.2 fixes SHA-1 for the accept key; it protects nothing, it proves a WebSocket server.
        response.Headers.SecWebSocketAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + WebSocketGuid)));
#pragma warning restore CA5350
        response.Headers.SecWebSocketProtocol = Protocol;
        var stream = await Feature(context).UpgradeAsync().ConfigureAwait(false);
        // The sub-protocol went out in the header above; it is not given to the WebSocket object, which refuses names that are
        // not HTTP tokens, and SPDY/3.1+portforward.k8s.io has a '/'.
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }

    private static IHttpUpgradeFeature Feature(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() ?? throw new InvalidOperationException("the server cannot upgrade this connection");

    private static List<string> Tokens(StringValues values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
