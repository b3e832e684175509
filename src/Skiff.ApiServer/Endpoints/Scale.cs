using System.Text.Json.Nodes;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>The autoscaling/v1 Scale view of workloads (the /scale subresource kubectl scale and HPAs use).</summary>
internal static class Scale
{
    public static JsonObject From(ResourceInfo resource, JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
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
    public static JsonObject ApplyTo(ResourceInfo resource, JsonObject item, JsonObject scale)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(scale);
        JsonNode? replicas = scale["spec"]?["replicas"];
        if (replicas is null || !int.TryParse(replicas.ToJsonString(), out int count) || count < 0)
        {
            throw ApiErrors.Invalid("autoscaling", "Scale", item["metadata"]?["name"]?.GetValue<string>() ?? string.Empty, [new k8s.Models.V1StatusCause { Reason = "FieldValueInvalid", Field = "spec.replicas", Message = $"Invalid value: {replicas?.ToJsonString() ?? "null"}: must be greater than or equal to 0" }]);
        }

        item["spec"] ??= new JsonObject();
        item["spec"]!["replicas"] = count;
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
}
