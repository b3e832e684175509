using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime;

namespace Skiff.Agent.Kubelet.Streaming;

/// <summary>
/// The kubelet's side of exec, attach and port-forward: it accepts the client's stream protocols (WebSocket channels and
/// SPDY/3.1, as kubectl speaks them through the API server) and joins them to the runtime's streaming server.
/// Not implemented yet: every request is answered 501.
/// </summary>
public sealed class StreamingHandlers
{
    private readonly CriClient _cri;
    private readonly ILogger _logger;

    public StreamingHandlers(CriClient cri, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(logger);
        _cri = cri;
        _logger = logger;
    }

    /// <summary>exec (command in the query, repeated <c>command=</c>) or attach into the CRI container <paramref name="containerId"/>.</summary>
    public Task ExecAsync(HttpContext context, string containerId, bool attach, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(containerId);
        _ = (_cri, _logger, attach, cancellationToken);
        context.Response.StatusCode = StatusCodes.Status501NotImplemented;
        return Task.CompletedTask;
    }

    /// <summary>port-forward into the CRI sandbox <paramref name="sandboxId"/>.</summary>
    public Task PortForwardAsync(HttpContext context, string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sandboxId);
        _ = (_cri, cancellationToken);
        context.Response.StatusCode = StatusCodes.Status501NotImplemented;
        return Task.CompletedTask;
    }
}
