using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>The autoscaling/v1 Scale view of workloads (the /scale subresource kubectl scale and HPAs use).</summary>
internal static class Scale
{
    public static JsonObject From(ResourceInfo resource, JsonObject item, V1CustomResourceSubresourceScale? custom = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (custom is not null)
        {
            // A custom resource's Scale reads the CRD's paths; a missing replica count is 0 and a missing selector empty, as upstream.
            JsonObject scale = From(resource, new JsonObject { ["metadata"] = item["metadata"]?.DeepClone() });
            scale["spec"]!["replicas"] = ReadInt(item, custom.SpecReplicasPath);
            scale["status"]!["replicas"] = ReadInt(item, custom.StatusReplicasPath);
            scale["status"]!["selector"] = At(item, custom.LabelSelectorPath) is JsonValue selector && selector.TryGetValue(out string? text) ? text : string.Empty;
            return scale;
        }

        JsonObject metadata = item["metadata"]?.AsObject() ?? [];
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = metadata["name"]?.DeepClone(),
                ["namespace"] = metadata["namespace"]?.DeepClone(),
                ["uid"] = metadata["uid"]?.DeepClone(),
                ["resourceVersion"] = metadata["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = metadata["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = item["spec"]?["replicas"]?.GetValue<int>() ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = item["status"]?["replicas"]?.GetValue<int>() ?? 0,
                ["selector"] = Selector(resource, item),
            },
        };
    }

    /// <summary>Copies the Scale's desired replicas (and its resourceVersion precondition) onto the workload.</summary>
    public static JsonObject ApplyTo(ResourceInfo resource, JsonObject item, JsonObject scale, V1CustomResourceSubresourceScale? custom = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(scale);
        JsonNode? replicas = scale["spec"]?["replicas"];
        if (replicas is null || !int.TryParse(replicas.ToJsonString(), out int count) || count < 0)
        {
            throw ApiErrors.Invalid("autoscaling", "Scale", item["metadata"]?["name"]?.GetValue<string>() ?? string.Empty, [new k8s.Models.V1StatusCause { Reason = "FieldValueInvalid", Field = "spec.replicas", Message = $"Invalid value: {replicas?.ToJsonString() ?? "null"}: must be greater than or equal to 0" }]);
        }

        string[] path = custom is null ? ["spec", "replicas"] : Segments(custom.SpecReplicasPath);
        JsonObject parent = item;
        foreach (string segment in path[..^1])
        {
            if (parent[segment] is not JsonObject child)
            {
                child = [];
                parent[segment] = child;
            }

            parent = child;
        }

        parent[path[^1]] = count;
        if (scale["metadata"]?["resourceVersion"] is JsonNode rv)
        {
            item["metadata"]!["resourceVersion"] = rv.DeepClone();
        }

        _ = resource;
        return item;
    }

    private static string Selector(ResourceInfo resource, JsonObject item)
    {
        JsonNode? selector = item["spec"]?["selector"];
        if (resource.Kind == "ReplicationController")
        {
            return selector is JsonObject map ? string.Join(",", map.Select(kv => $"{kv.Key}={kv.Value}")) : string.Empty;
        }

        var parts = new List<string>();
        if (selector?["matchLabels"] is JsonObject labels)
        {
            parts.AddRange(labels.Select(kv => $"{kv.Key}={kv.Value}"));
        }

        if (selector?["matchExpressions"] is JsonArray expressions)
        {
            foreach (JsonNode? expression in expressions)
            {
                string key = expression?["key"]?.GetValue<string>() ?? string.Empty;
                string op = expression?["operator"]?.GetValue<string>() ?? string.Empty;
                string[] values = expression?["values"] is JsonArray v ? [.. v.Select(x => x?.GetValue<string>() ?? string.Empty)] : [];
                parts.Add(op switch
                {
                    "In" => $"{key} in ({string.Join(",", values)})",
                    "NotIn" => $"{key} notin ({string.Join(",", values)})",
                    "Exists" => key,
                    "DoesNotExist" => "!" + key,
                    _ => key,
                });
            }
        }

        return string.Join(",", parts);
    }

    /// <summary>The node at a CRD scale path such as ".spec.replicas", or null.</summary>
    private static JsonNode? At(JsonObject item, string? path) =>
        !string.IsNullOrEmpty(path) && CustomResources.JsonPathQuery.TryParse(path, out CustomResources.JsonPathQuery? query) && query!.Evaluate(item) is [JsonNode node, ..]
            ? node
            : null;

    private static long ReadInt(JsonObject item, string? path) =>
        At(item, path) is JsonValue value && long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long count) ? count : 0;

    // The write side of a scale path: its fields (CRD validation allows only .a.b.c paths there, no indexes or filters).
    private static string[] Segments(string path) => path.TrimStart('.').Split('.');
}
