using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Kubelet.Streaming.Spdy;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>
/// The kubelet's side of exec, attach and port-forward: it accepts the client's stream protocols (as kubectl speaks them,
/// forwarded unchanged by the API server) and joins them to the runtime's streaming server, which it reaches over SPDY/3.1
/// at the URL the CRI Exec, Attach or PortForward call returns.
/// <list type="bullet">
/// <item>exec/attach over WebSocket, <c>v5.channel.k8s.io</c> or <c>v4.channel.k8s.io</c>: channel bytes are translated
/// to and from the runtime's SPDY streams (stdin 0, stdout 1, stderr 2, status 3, resize 4, v5 close 255).</item>
/// <item>exec/attach over SPDY/3.1 (<c>v4</c>…<c>channel.k8s.io</c>) and port-forward over SPDY/3.1
/// (<c>portforward.k8s.io</c>), plain or tunnelled in a WebSocket (<c>SPDY/3.1+portforward.k8s.io</c>): every stream the
/// client opens is opened with the same headers towards the runtime and relayed both ways.</item>
/// </list>
/// </summary>
public sealed partial class StreamingHandlers
{
    /// <summary>How long a runtime stream may take to be answered before the session is given up.</summary>
    private static readonly TimeSpan s_streamReplyTimeout = TimeSpan.FromSeconds(30);

    private static readonly string[] s_execWebSocketProtocols = [StreamUpgrade.V5Channel, StreamUpgrade.V4Channel];
    private static readonly string[] s_portForwardWebSocketProtocols = [StreamUpgrade.WebSocketPortForward];
    private static readonly string[] s_portForwardSpdyProtocols = [StreamUpgrade.PortForward];

    /// <summary>How long, once the runtime's side has ended, the client gets to read the rest and close by itself.</summary>
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(5);

    private readonly CriClient _cri;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public StreamingHandlers(CriClient cri, ILogger logger, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(logger);
        _cri = cri;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>exec (command in the query, repeated <c>command=</c>) or attach into the CRI container <paramref name="containerId"/>.</summary>
    public async Task ExecAsync(HttpContext context, string containerId, bool attach, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(containerId);
        var options = ExecOptions.Parse(context.Request.Query, attach, out var error);
        var upgrade = StreamUpgrade.Negotiate(context, s_execWebSocketProtocols, StreamUpgrade.SpdyExecProtocols, out var reason);
        if (options is null || upgrade is null)
        {
            var message = options is null ? error : reason;
            Log.Refused(_logger, containerId, message);
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, "BadRequest", message, cancellationToken).ConfigureAwait(false);
            return;
        }
        var url = await StreamingUrlAsync(context, containerId, async () => attach
            ? (await _cri.Runtime.AttachAsync(new AttachRequest
            {
                ContainerId = containerId, Stdin = options.Stdin, Stdout = options.Stdout, Stderr = options.Stderr, Tty = options.Tty,
            }, _cri.Options(cancellationToken))).Url
            : (await _cri.Runtime.ExecAsync(new ExecRequest
            {
                ContainerId = containerId, Cmd = { options.Command }, Stdin = options.Stdin, Stdout = options.Stdout,
                Stderr = options.Stderr, Tty = options.Tty,
            }, _cri.Options(cancellationToken))).Url,
            cancellationToken).ConfigureAwait(false);
        if (url is null)
        {
            return;
        }
        // A WebSocket client's channels are translated to v4 streams; a SPDY client's protocol goes to the runtime unchanged.
        var backendProtocol = upgrade.IsWebSocket ? StreamUpgrade.V4Channel : upgrade.Protocol;
        await using var backend = await ConnectRuntimeAsync(context, containerId, url, backendProtocol, cancellationToken).ConfigureAwait(false);
        if (backend is null)
        {
            return;
        }
        Log.SessionStarted(_logger, attach ? "attach" : "exec", containerId, upgrade.IsWebSocket ? "websocket" : "SPDY/3.1", upgrade.Protocol);
        try
        {
            if (upgrade.IsWebSocket)
            {
                await BridgeWebSocketAsync(context, upgrade, options, backend, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RelaySpdyAsync(await upgrade.AcceptSpdyAsync(context).ConfigureAwait(false), backend, cancellationToken).ConfigureAwait(false);
            }
            Log.SessionEnded(_logger, attach ? "attach" : "exec", containerId);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            Log.SessionBroken(_logger, attach ? "attach" : "exec", containerId, e);
        }
    }

    /// <summary>port-forward into the CRI sandbox <paramref name="sandboxId"/>.</summary>
    public async Task PortForwardAsync(HttpContext context, string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sandboxId);
        var upgrade = StreamUpgrade.Negotiate(context, s_portForwardWebSocketProtocols, s_portForwardSpdyProtocols, out var reason);
        if (upgrade is null)
        {
            Log.Refused(_logger, sandboxId, reason);
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, "BadRequest", reason, cancellationToken).ConfigureAwait(false);
            return;
        }
        var url = await StreamingUrlAsync(context, sandboxId, async () => (await _cri.Runtime.PortForwardAsync(
            new PortForwardRequest { PodSandboxId = sandboxId }, _cri.Options(cancellationToken))).Url, cancellationToken).ConfigureAwait(false);
        if (url is null)
        {
            return;
        }
        await using var backend = await ConnectRuntimeAsync(context, sandboxId, url, StreamUpgrade.PortForward, cancellationToken)
            .ConfigureAwait(false);
        if (backend is null)
        {
            return;
        }
        Log.SessionStarted(_logger, "port-forward", sandboxId, upgrade.IsWebSocket ? "websocket" : "SPDY/3.1", upgrade.Protocol);
        try
        {
            // Tunnelled: every binary message carries raw SPDY bytes, so the WebSocket is only the byte pipe under the session.
            var transport = upgrade.IsWebSocket
                ? System.Net.WebSockets.WebSocketStream.Create(await upgrade.AcceptWebSocketAsync(context).ConfigureAwait(false),
                    System.Net.WebSockets.WebSocketMessageType.Binary, ownsWebSocket: true)
                : await upgrade.AcceptSpdyAsync(context).ConfigureAwait(false);
            await RelaySpdyAsync(transport, backend, cancellationToken).ConfigureAwait(false);
            Log.SessionEnded(_logger, "port-forward", sandboxId);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            Log.SessionBroken(_logger, "port-forward", sandboxId, e);
        }
    }

    /// <summary>The runtime's streaming URL, or null after answering the client with the runtime's refusal.</summary>
    private async Task<string?> StreamingUrlAsync(HttpContext context, string target, Func<Task<string>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition)
        {
            Log.Refused(_logger, target, e.Status.Detail);
            var (code, reasonName) = e.StatusCode == StatusCode.NotFound
                ? (StatusCodes.Status404NotFound, "NotFound")
                : (StatusCodes.Status400BadRequest, "BadRequest");
            await WriteStatusAsync(context, code, reasonName, e.Status.Detail, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (RpcException e)
        {
            Log.RuntimeFailed(_logger, target, e);
            await WriteStatusAsync(context, StatusCodes.Status500InternalServerError, "InternalError", e.Status.Detail, cancellationToken)
                .ConfigureAwait(false);
            return null;
        }
    }

    private async Task<SpdyConnection?> ConnectRuntimeAsync(HttpContext context, string target, string url, string protocol,
        CancellationToken cancellationToken)
    {
        try
        {
            var (connection, _) = await SpdyClient.ConnectAsync(new Uri(url), [protocol], cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or NotSupportedException or UriFormatException)
        {
            Log.RuntimeFailed(_logger, target, e);
            await WriteStatusAsync(context, StatusCodes.Status500InternalServerError, "InternalError", e.Message, cancellationToken)
                .ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A metav1.Status answer, which kubectl prints when the upgrade is refused.</summary>
    private static async Task WriteStatusAsync(HttpContext context, int code, string reason, string message, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new Dictionary<string, object>(), ["status"] = "Failure",
            ["message"] = message, ["reason"] = reason, ["code"] = code,
        });
        await context.Response.Body.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }
}
