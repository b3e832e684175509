using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// Which container a pods/log, exec or attach request means (upstream's validateContainer): the one named, which must
/// exist in the pod; else the only container; else the <c>kubectl.kubernetes.io/default-container</c> annotation; else a
/// 400 that lists the choices.
/// </summary>
internal static class PodContainers
{
    public const string DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container";

    /// <summary>The container name to use, or a 400 <see cref="StatusException"/> with upstream's wording.</summary>
    public static string Resolve(JsonObject pod, string? requested)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string podName = pod["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        JsonNode? spec = pod["spec"];
        List<string> containers = Names(spec?["containers"]);
        List<string> all = [.. Names(spec?["initContainers"]), .. containers, .. Names(spec?["ephemeralContainers"])];
        if (!string.IsNullOrEmpty(requested))
        {
            return all.Contains(requested, StringComparer.Ordinal)
                ? requested
                : throw ApiErrors.BadRequest($"container {requested} is not valid for pod {podName}");
        }

        switch (containers.Count)
        {
            case 1:
                return containers[0];
            case 0:
                throw ApiErrors.BadRequest($"a container name must be specified for pod {podName}");
        }

        if (pod["metadata"]?["annotations"]?[DefaultContainerAnnotation] is JsonValue value && value.TryGetValue(out string? annotated)
            && all.Contains(annotated, StringComparer.Ordinal))
        {
            return annotated;
        }

        throw ApiErrors.BadRequest($"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', all)}]");
    }

    private static List<string> Names(JsonNode? list) =>
        list is JsonArray array ? [.. array.Select(c => c?["name"]?.GetValue<string>()).OfType<string>()] : [];
}
