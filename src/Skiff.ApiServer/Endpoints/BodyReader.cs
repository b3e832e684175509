using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Skiff.Machinery.Errors;
using Skiff.Store;
using YamlDotNet.Core;

namespace Skiff.ApiServer.Endpoints;

/// <summary>Reads a request body in any format clients send (JSON, YAML, Kubernetes protobuf) into JSON.</summary>
internal static class BodyReader
{
    // Upstream's limit for a request body is 3 MiB; objects must still fit the store's 1.5 MiB.
    internal const int MaxBodyBytes = 3 * 1024 * 1024;

    public static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw ApiErrors.RequestEntityTooLarge($"the request body is {request.ContentLength} bytes, over the limit of {MaxBodyBytes} bytes");
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw ApiErrors.RequestEntityTooLarge($"the request body is over the limit of {MaxBodyBytes} bytes");
            }
        }

        byte[] body = buffer.ToArray();
        Audit.AuditScope.Of(request.HttpContext)?.RequestBody(body, MediaType(request));
        return body;
    }

    /// <summary>The media type without parameters, lower-cased ("application/json").</summary>
    public static string MediaType(HttpRequest request)
    {
        string contentType = request.ContentType ?? "application/json";
        int semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
    }

    /// <summary>Parses a body as an object (JSON, YAML or protobuf by content type); 400 with the parser's complaint otherwise.</summary>
    public static JsonObject ParseObject(byte[] body, string mediaType)
    {
        if (body.Length == 0)
        {
            throw ApiErrors.BadRequest("the request body is empty; send the object as JSON, YAML or Kubernetes protobuf");
        }

        if (mediaType == "application/vnd.kubernetes.protobuf")
        {
            return Protobuf.KubernetesProtobuf.Decode(body);
        }

        return ParseNode(body, mediaType) as JsonObject
            ?? throw ApiErrors.BadRequest("the request body is not a JSON or YAML object");
    }

    /// <summary>Parses a JSON or YAML body into any JSON value (patches may be arrays).</summary>
    public static JsonNode? ParseNode(byte[] body, string mediaType)
    {
        try
        {
            if (mediaType.EndsWith("yaml", StringComparison.Ordinal))
            {
                return YamlToJson.Convert(Encoding.UTF8.GetString(body));
            }

            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 100 });
        }
        catch (JsonException ex)
        {
            throw ApiErrors.BadRequest($"the request body is not valid JSON: {ex.Message}");
        }
        catch (YamlException ex)
        {
            throw ApiErrors.BadRequest($"the request body is not valid YAML: {ex.Message}");
        }
    }

    /// <summary>Refuses objects the store could not hold, with the limit in the message.</summary>
    public static void EnsureStorable(string name, byte[] serialized)
    {
        if (serialized.Length > StoreLimits.MaxValueBytes)
        {
            throw ApiErrors.RequestEntityTooLarge($"object \"{name}\" is {serialized.Length} bytes, over the limit of {StoreLimits.MaxValueBytes} bytes");
        }
    }
}
