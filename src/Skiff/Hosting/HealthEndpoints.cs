using System.Text;
using Skiff.Store;

namespace Skiff.Hosting;

/// <summary>
/// <c>/healthz</c>, <c>/livez</c>, <c>/readyz</c> and <c>/version</c>, answering as kube-apiserver does: <c>ok</c>, or with
/// <c>?verbose</c> one <c>[+]name ok</c> / <c>[-]name failed</c> line per check; 500 when a check fails.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan s_storeCheckTimeout = TimeSpan.FromSeconds(2);

    private delegate Task<string?> HealthCheck(HttpContext context);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        (string Name, HealthCheck Check)[] liveness = [("ping", _ => Task.FromResult<string?>(null))];
        (string Name, HealthCheck Check)[] readiness = [.. liveness, ("store", CheckStoreAsync), ("shutdown", CheckNotStopping)];

        endpoints.MapGet("/healthz", context => RespondAsync(context, "healthz", liveness));
        endpoints.MapGet("/livez", context => RespondAsync(context, "livez", liveness));
        endpoints.MapGet("/readyz", context => RespondAsync(context, "readyz", readiness));
        endpoints.MapGet("/version", () => Results.Json(ServerVersionInfo.Current(), SkiffJsonContext.Default.ServerVersionInfo));
        return endpoints;
    }

    private static async Task RespondAsync(HttpContext context, string endpoint, (string Name, HealthCheck Check)[] checks)
    {
        var body = new StringBuilder();
        bool healthy = true;
        foreach ((string name, HealthCheck check) in checks)
        {
            string? failure = await check(context);
            healthy &= failure is null;
            body.Append(failure is null ? $"[+]{name} ok\n" : $"[-]{name} failed: {failure}\n");
        }

        bool verbose = context.Request.Query.ContainsKey("verbose");
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        string text = healthy
            ? verbose ? $"{body}{endpoint} check passed\n" : "ok"
            : $"{body}{endpoint} check failed\n";
        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static async Task<string?> CheckStoreAsync(HttpContext context)
    {
        using var timeout = new CancellationTokenSource(s_storeCheckTimeout, context.RequestServices.GetRequiredService<TimeProvider>());
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
        try
        {
            await context.RequestServices.GetRequiredService<IRevisionedStore>().GetCurrentRevisionAsync(linked.Token);
            return null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return "the datastore did not answer in time";
        }
        catch (Exception e) when (e is StoreException or NotSupportedException or IOException or InvalidOperationException)
        {
            // Like kube-apiserver, do not reveal internals to unauthenticated callers.
            return "reason withheld";
        }
    }

    private static Task<string?> CheckNotStopping(HttpContext context) =>
        Task.FromResult(context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested
            ? "the server is shutting down"
            : null);
}
