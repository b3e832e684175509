using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    /// <summary>
    /// <c>/openapi/v3</c> (the index of group-version documents) and <c>/openapi/v3/&lt;gv&gt;</c>; <c>/openapi/v2</c> is an empty
    /// document, which kubectl only asks for about kinds v3 does not have.
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
                JsonObject index = _openApi.Index();
                _customOpenApi.AddTo(index);
                await Responses.WriteJsonAsync(context, index, 200);
                return;
            }

            if (path == "/openapi/v2")
            {
                // kubectl asks v2 only when a kind is missing from v3 (a `kind: List` file, whose List kind no document
                // has) to learn whether it supports fieldValidation. A 404 there fails the whole command, so v2 is served
                // as an empty Swagger 2.0 document: no kind is found in it, and kubectl validates the items through v3.
                await WriteEmptyOpenApiV2Async(context);
                return;
            }

            const string Prefix = "/openapi/v3/";
            if (path.StartsWith(Prefix, StringComparison.Ordinal) &&
                (_openApi.TryGetDocument(path[Prefix.Length..], out byte[] json, out string hash) || _customOpenApi.TryGetDocument(path[Prefix.Length..], out json, out hash)))
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

    private static async Task WriteEmptyOpenApiV2Async(HttpContext context)
    {
        context.Response.StatusCode = 200;
        if (context.Request.Headers.Accept.ToString().Contains("application/com.github.proto-openapi.spec.v2", StringComparison.Ordinal))
        {
            // gnostic's openapi_v2.Document with only field 1, swagger = "2.0". Clients ask with "…spec.v2@v1.0+protobuf";
            // upstream answers with a '.' for the '@', which Go's mime parser accepts.
            context.Response.ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
            await context.Response.Body.WriteAsync(new byte[] { 0x0A, 0x03, (byte)'2', (byte)'.', (byte)'0' }, context.RequestAborted);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            """{"swagger":"2.0","info":{"title":"Kubernetes","version":"v1.32.0"},"paths":{},"definitions":{}}""", context.RequestAborted);
    }
}
