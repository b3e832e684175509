using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Registry;

/// <summary>Between the JSON clients send and store and the typed k8s.Models objects strategies work on.</summary>
internal static class ObjectCodec
{
    /// <summary>
    /// Reads a JSON object as the resource's model type, handling unknown fields as <paramref name="validation"/> says.
    /// Fields the model lacks are dropped (pruned), as upstream does.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> Decode(ResourceInfo resource, JsonObject json, FieldValidation validation, List<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(warnings);
        if (validation != FieldValidation.Ignore)
        {
            try
            {
                return As(json.Deserialize(resource.ClrType, SkiffJson.StrictOptions), resource);
            }
            catch (JsonException ex) when (IsUnknownField(ex, out string field))
            {
                if (validation == FieldValidation.Strict)
                {
                    throw ApiErrors.BadRequest($"strict decoding error: unknown field \"{field}\"");
                }

                warnings.Add($"unknown field \"{field}\"");
            }
            catch (JsonException ex)
            {
                throw CannotHandle(resource, ex);
            }
        }

        try
        {
            return As(json.Deserialize(resource.ClrType, SkiffJson.Options), resource);
        }
        catch (JsonException ex)
        {
            throw CannotHandle(resource, ex);
        }
    }

    /// <summary>The object as a JSON tree (camelCase, nulls omitted).</summary>
    public static JsonObject Encode(object item) =>
        JsonSerializer.SerializeToNode(item, item.GetType(), SkiffJson.Options)?.AsObject() ?? [];

    /// <summary>The bytes kept in the store: the object without its resourceVersion (the store's revision is the truth).</summary>
    public static byte[] ToStored(JsonObject json)
    {
        JsonObject copy = json.DeepClone().AsObject();
        if (copy["metadata"] is JsonObject metadata)
        {
            metadata.Remove("resourceVersion");
            metadata.Remove("selfLink");
        }

        return JsonSerializer.SerializeToUtf8Bytes(copy);
    }

    /// <summary>A stored value as JSON with its resourceVersion set.</summary>
    public static JsonObject FromStored(ReadOnlySpan<byte> stored, long revision)
    {
        JsonObject json = JsonNode.Parse(stored)?.AsObject() ?? throw ApiErrors.Internal("stored object is not a JSON object");
        if (json["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            json["metadata"] = metadata;
        }

        metadata["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return json;
    }

    private static IKubernetesObject<V1ObjectMeta> As(object? value, ResourceInfo resource) =>
        value as IKubernetesObject<V1ObjectMeta> ?? throw ApiErrors.BadRequest($"the body is not a {resource.Kind}");

    private static bool IsUnknownField(JsonException ex, out string field)
    {
        field = string.Empty;
        if (!ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return false;
        }

        // The message names the property ("The JSON property 'foo' could not be mapped ..."); Path is where it sits.
        int start = ex.Message.IndexOf('\'', StringComparison.Ordinal);
        int end = start >= 0 ? ex.Message.IndexOf('\'', start + 1) : -1;
        string property = start >= 0 && end > start ? ex.Message[(start + 1)..end] : "?";
        string path = (ex.Path ?? "$").TrimStart('$').TrimStart('.');
        path = System.Text.RegularExpressions.Regex.Replace(path, @"\[\d+\]", string.Empty);
        field = path.EndsWith(property, StringComparison.Ordinal) ? path : (path.Length == 0 ? property : $"{path}.{property}");
        return true;
    }

    private static StatusException CannotHandle(ResourceInfo resource, JsonException ex) =>
        ApiErrors.BadRequest($"{resource.Kind} in version \"{resource.Version}\" cannot be handled as a {resource.Kind}: {ex.Message}");
}
