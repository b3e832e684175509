using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Json;

/// <summary>
/// The one set of JSON options for Kubernetes objects, built once from KubernetesClient's public converters. We never call
/// <c>KubernetesJson.AddJsonOptions</c>: it mutates a process-wide static (STYLE.md §2c).
/// </summary>
public static class SkiffJson
{
    /// <summary>Options for reading and writing k8s.Models types: camelCase, nulls omitted, RFC 3339 times, quantities.</summary>
    public static readonly JsonSerializerOptions Options = Build(strict: false);

    /// <summary>The same options, refusing JSON properties the model does not have (the API server's fieldValidation=Strict).</summary>
    public static readonly JsonSerializerOptions StrictOptions = Build(strict: true);

    /// <summary>Serializes to UTF-8 bytes.</summary>
    public static byte[] ToBytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Deserializes UTF-8 bytes.</summary>
    public static T? FromBytes<T>(ReadOnlySpan<byte> utf8) => JsonSerializer.Deserialize<T>(utf8, Options);

    /// <summary>Deserializes UTF-8 bytes to a runtime type.</summary>
    public static object? FromBytes(ReadOnlySpan<byte> utf8, Type type) => JsonSerializer.Deserialize(utf8, type, Options);

    private static JsonSerializerOptions Build(bool strict)
    {
        var options = new JsonSerializerOptions
        {
            UnmappedMemberHandling = strict ? JsonUnmappedMemberHandling.Disallow : JsonUnmappedMemberHandling.Skip,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            PropertyNameCaseInsensitive = false,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.Converters.Add(new KubernetesJson.Iso8601TimeSpanConverter());
        options.Converters.Add(new KubernetesJson.KubernetesDateTimeConverter());
        options.Converters.Add(new KubernetesJson.KubernetesDateTimeOffsetConverter());
        options.Converters.Add(new IntOrStringJsonConverter());
        options.Converters.Add(new ResourceQuantityJsonConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
