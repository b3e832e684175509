using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Conversion;

/// <summary>autoscaling/v1 ⇄ v2: v1's single CPU utilization target is v2's Resource metric on cpu.</summary>
internal static class HorizontalPodAutoscalers
{
    public static void V1ToV2(JsonObject hpa)
    {
        if (hpa["spec"] is JsonObject spec && spec["targetCPUUtilizationPercentage"] is JsonNode target)
        {
            spec.Remove("targetCPUUtilizationPercentage");
            spec["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject
                {
                    ["name"] = "cpu",
                    ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = target.DeepClone() },
                },
            });
        }

        if (hpa["status"] is JsonObject status && status["currentCPUUtilizationPercentage"] is JsonNode current)
        {
            status.Remove("currentCPUUtilizationPercentage");
            status["currentMetrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject { ["name"] = "cpu", ["current"] = new JsonObject { ["averageUtilization"] = current.DeepClone() } },
            });
        }
    }

    public static void V2ToV1(JsonObject hpa)
    {
        if (hpa["spec"] is JsonObject spec)
        {
            JsonNode? cpu = CpuResource(spec["metrics"]);
            if (cpu?["target"]?["averageUtilization"] is JsonNode target)
            {
                spec["targetCPUUtilizationPercentage"] = target.DeepClone();
            }

            spec.Remove("metrics");
            spec.Remove("behavior");
        }

        if (hpa["status"] is JsonObject status)
        {
            JsonNode? cpu = CpuResource(status["currentMetrics"]);
            if (cpu?["current"]?["averageUtilization"] is JsonNode current)
            {
                status["currentCPUUtilizationPercentage"] = current.DeepClone();
            }

            status.Remove("currentMetrics");
            status.Remove("conditions");
        }
    }

    private static JsonNode? CpuResource(JsonNode? metrics) =>
        (metrics as JsonArray)?.FirstOrDefault(m => m?["type"]?.GetValue<string>() == "Resource" && m["resource"]?["name"]?.GetValue<string>() == "cpu")?["resource"];
}
