using Microsoft.AspNetCore.Http;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    /// <summary>
    /// <c>/openapi/v3</c> (the index of group-version documents) and <c>/openapi/v3/&lt;gv&gt;</c>. There is no v2: kubectl only falls
    /// back to it when v3 is missing.
    /// </summary>
    public Task HandleOpenApiAsync(HttpContext context) => _metrics.InstrumentAsync(context, ServeOpenApiAsync);

    private async Task ServeOpenApiAsync(HttpContext context)
    {
        try
        {
            _ = await _authenticator.AuthenticateAsync(context, context.RequestAborted) ?? throw ApiErrors.Unauthorized();
            string path = context.Request.Path.Value!.TrimEnd('/');
            if (path == "/openapi/v3")
            {
                await Responses.WriteJsonAsync(context, _openApi.Index(), 200);
                return;
            }

            const string Prefix = "/openapi/v3/";
            if (path.StartsWith(Prefix, StringComparison.Ordinal) && _openApi.TryGetDocument(path[Prefix.Length..], out byte[] json, out string hash))
            {
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                context.Response.Headers.ETag = $"\"{hash}\"";
                if (context.Request.Query.ContainsKey("hash"))
                {
                    context.Response.Headers.CacheControl = "public, immutable";
                }

                await context.Response.Body.WriteAsync(json, context.RequestAborted);
                return;
            }

            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        catch (StatusException ex)
        {
            await WriteErrorIfPossibleAsync(context, ex);
        }
    }
}
