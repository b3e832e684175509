using Microsoft.AspNetCore.Http;
using Prometheus;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Instrumentation;

/// <summary>
/// <c>/metrics</c> in the Prometheus text format. Like kube-apiserver it requires an authenticated caller (a client certificate
/// from the cluster CA, or a token) that may read the path; the watch-cache gauges are refreshed at each scrape.
/// </summary>
internal sealed class MetricsEndpoint(
    CollectorRegistry registry,
    ApiServerMetrics metrics,
    ApiWatchCache cache,
    RequestAuthenticator authenticator,
    AuthorizerChain authorizer)
{
    public const string Path = "/metrics";

    public Task HandleAsync(HttpContext context) => metrics.InstrumentAsync(context, ServeAsync);

    private async Task ServeAsync(HttpContext context)
    {
        try
        {
            UserInfo user = await authenticator.AuthenticateAsync(context, context.RequestAborted) ?? throw ApiErrors.Unauthorized();
            user = await Impersonation.ApplyAsync(context, user, authorizer, context.RequestAborted);
            var attributes = new AuthorizationAttributes(user, "get", string.Empty, string.Empty, null, null, null, Path);
            (bool allowed, string reason) = await authorizer.AuthorizeAsync(attributes, context.RequestAborted);
            if (!allowed)
            {
                throw AuthorizationErrors.Forbidden(attributes, reason);
            }

            foreach (WatchCacheStatistics statistics in cache.Statistics())
            {
                metrics.SetStorageObjects(statistics.Resource, statistics.Objects);
                metrics.SetRegisteredWatchers(statistics.Resource, statistics.Watchers);
                metrics.SetWatchCacheSize(statistics.Resource, statistics.JsonBytes, statistics.ApproximateBytes);
            }

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        }
        catch (StatusException ex) when (!context.Response.HasStarted)
        {
            await Responses.WriteErrorAsync(context, ex);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The scraper went away.
        }
    }
}
