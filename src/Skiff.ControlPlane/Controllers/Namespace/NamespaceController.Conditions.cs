using k8s;
using k8s.Models;

namespace Skiff.ControlPlane.Controllers.Namespace;

public sealed partial class NamespaceController
{
    /// <summary>
    /// Upstream's deletion conditions, all five always present so <c>kubectl describe</c> shows where deletion stands.
    /// Discovery and group-version parsing cannot fail here (the resource list is compiled in), so those stay False.
    /// </summary>
    private static List<V1NamespaceCondition> DeletionConditions(
        List<string> failures, SortedDictionary<string, int> remaining, SortedDictionary<string, int> finalizers) =>
    [
        Condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
        Condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions", "All legacy kube types successfully parsed"),
        failures.Count > 0
            ? Condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed", $"Failed to delete all resource types, {failures.Count} remaining: {string.Join(", ", failures)}")
            : Condition("NamespaceDeletionContentFailure", false, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
        remaining.Count > 0
            ? Condition("NamespaceContentRemaining", true, "SomeResourcesRemain", $"Some resources are remaining: {string.Join(", ", remaining.Select(r => $"{r.Key} has {r.Value} resource instances"))}")
            : Condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed"),
        finalizers.Count > 0
            ? Condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain", $"Some content in the namespace has finalizers remaining: {string.Join(", ", finalizers.Select(f => $"{f.Key} in {f.Value} resource instances"))}")
            : Condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers", "All content-preserving finalizers finished"),
    ];

    private static V1NamespaceCondition Condition(string type, bool status, string reason, string message) =>
        new() { Type = type, Status = status ? "True" : "False", Reason = reason, Message = message };

    /// <summary>
    /// Writes the conditions through the status subresource when they differ from what the namespace shows, keeping the
    /// transition time of a condition whose status did not change. Returns the namespace as it now stands.
    /// </summary>
    private async Task<V1Namespace> UpdateConditionsAsync(V1Namespace ns, List<V1NamespaceCondition> wanted, CancellationToken cancellationToken)
    {
        IList<V1NamespaceCondition> current = ns.Status?.Conditions ?? [];
        DateTime now = TimeProvider.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        bool changed = false;
        foreach (V1NamespaceCondition condition in wanted)
        {
            V1NamespaceCondition? old = current.FirstOrDefault(c => c.Type == condition.Type);
            changed |= old is null || old.Status != condition.Status || old.Reason != condition.Reason || old.Message != condition.Message;
            condition.LastTransitionTime = old is not null && old.Status == condition.Status ? old.LastTransitionTime : now;
        }

        if (!changed)
        {
            return ns;
        }

        // The cached object is shared: write a copy.
        V1Namespace updated = KubernetesJson.Deserialize<V1Namespace>(KubernetesJson.Serialize(ns));
        updated.Status ??= new V1NamespaceStatus();
        updated.Status.Conditions = [.. current.Where(c => wanted.All(w => w.Type != c.Type)), .. wanted];
        return await _client.CoreV1.ReplaceNamespaceStatusAsync(updated, ns.Metadata.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
