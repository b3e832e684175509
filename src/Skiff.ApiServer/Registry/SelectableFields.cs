using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Registry;

/// <summary>
/// The field selectors upstream supports per resource (metadata.name and metadata.namespace everywhere), and how to read their
/// values from an object.
/// </summary>
internal static class SelectableFields
{
    private static readonly string[] s_common = ["metadata.name", "metadata.namespace"];

    private static readonly FrozenDictionary<string, string[]> s_extra = new Dictionary<string, string[]>
    {
        ["/pods"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        ["/events"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        ["events.k8s.io/events"] = ["regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion", "reason", "reportingController", "type"],
        ["/secrets"] = ["type"],
        ["/namespaces"] = ["status.phase"],
        ["/nodes"] = ["spec.unschedulable"],
        ["/replicationcontrollers"] = ["status.replicas"],
        ["apps/replicasets"] = ["status.replicas"],
        ["batch/jobs"] = ["status.successful"],
        ["/services"] = ["spec.clusterIP", "spec.type"],
        ["certificates.k8s.io/certificatesigningrequests"] = ["spec.signerName"],
    }.ToFrozenDictionary();

    // One shared array of paths per resource: every cached object's field map points at it.
    private static readonly FrozenDictionary<string, string[]> s_paths = s_extra.ToFrozenDictionary(e => e.Key, e => (string[])[.. s_common, .. e.Value]);

    /// <summary>The field paths a selector may name for this resource.</summary>
    public static IReadOnlyList<string> For(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return s_paths.GetValueOrDefault($"{resource.Group}/{resource.Plural}") ?? s_common;
    }

    /// <summary>Reads every selectable field's value (empty string when absent; booleans as "true"/"false").</summary>
    public static IReadOnlyDictionary<string, string> Extract(ResourceInfo resource, JsonObject item, WatchCache.StringPool? pool = null)
    {
        string[] paths = s_paths.GetValueOrDefault($"{resource.Group}/{resource.Plural}") ?? s_common;
        string[] values = new string[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            string path = paths[i];
            JsonNode? node = item;
            foreach (string segment in path.Split('.'))
            {
                node = node is JsonObject obj ? obj[segment] : null;
            }

            string text = node switch
            {
                null => string.Empty,
                JsonValue value when value.TryGetValue(out bool flag) => flag ? "true" : "false",
                JsonValue value => value.ToString(),
                _ => node.ToJsonString(),
            };
            values[i] = pool is null ? text : pool.Share(text);
        }

        return new WatchCache.CompactMap(paths, values);
    }
}
