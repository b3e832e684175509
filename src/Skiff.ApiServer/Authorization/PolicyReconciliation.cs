using System.Text.Json;
using k8s.Models;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's reconciliation of bootstrap RBAC objects at server start: an object whose
/// <c>rbac.authorization.kubernetes.io/autoupdate</c> annotation is not "false" gets back the labels, annotations, rules,
/// aggregation selectors and subjects the bootstrap policy has and it lacks; what an admin added is kept.
/// </summary>
internal static class PolicyReconciliation
{
    public static bool AutoUpdates(V1ObjectMeta? metadata) =>
        metadata?.Annotations is null || !metadata.Annotations.TryGetValue(BootstrapPolicy.AutoUpdateAnnotation, out string? value) || value != "false";

    /// <summary>Adds to <paramref name="existing"/> what <paramref name="expected"/> has and it lacks; true when it changed.</summary>
    public static bool Merge(V1ClusterRole existing, V1ClusterRole expected)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(expected);
        existing.Metadata ??= new V1ObjectMeta();
        bool changed = MergeMetadata(existing.Metadata, expected.Metadata);
        if (expected.AggregationRule is { } aggregation)
        {
            existing.AggregationRule ??= new V1AggregationRule();
            existing.AggregationRule.ClusterRoleSelectors ??= [];
            changed |= AddMissing(existing.AggregationRule.ClusterRoleSelectors, aggregation.ClusterRoleSelectors);
        }

        existing.Rules ??= [];
        // An aggregated role's rules belong to the aggregation; the bootstrap policy lists none for it.
        changed |= AddMissing(existing.Rules, expected.Rules);
        return changed;
    }

    public static bool Merge(V1Role existing, V1Role expected)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(expected);
        existing.Metadata ??= new V1ObjectMeta();
        existing.Rules ??= [];
        return MergeMetadata(existing.Metadata, expected.Metadata) | AddMissing(existing.Rules, expected.Rules);
    }

    public static bool Merge(V1ClusterRoleBinding existing, V1ClusterRoleBinding expected)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(expected);
        existing.Metadata ??= new V1ObjectMeta();
        existing.Subjects ??= [];
        return MergeMetadata(existing.Metadata, expected.Metadata) | AddMissing(existing.Subjects, expected.Subjects);
    }

    public static bool Merge(V1RoleBinding existing, V1RoleBinding expected)
    {
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(expected);
        existing.Metadata ??= new V1ObjectMeta();
        existing.Subjects ??= [];
        return MergeMetadata(existing.Metadata, expected.Metadata) | AddMissing(existing.Subjects, expected.Subjects);
    }

    private static bool MergeMetadata(V1ObjectMeta existing, V1ObjectMeta? expected)
    {
        bool changed = false;
        foreach ((string key, string value) in expected?.Labels ?? new Dictionary<string, string>())
        {
            existing.Labels ??= new Dictionary<string, string>();
            changed |= existing.Labels.TryAdd(key, value);
        }

        foreach ((string key, string value) in expected?.Annotations ?? new Dictionary<string, string>())
        {
            existing.Annotations ??= new Dictionary<string, string>();
            changed |= existing.Annotations.TryAdd(key, value);
        }

        return changed;
    }

    // Items compare by their JSON form (the models' equality is by reference for their lists).
    private static bool AddMissing<T>(IList<T> existing, IList<T>? expected)
    {
        bool changed = false;
        var present = existing.Select(Canonical).ToHashSet(StringComparer.Ordinal);
        foreach (T item in expected ?? [])
        {
            if (present.Add(Canonical(item)))
            {
                existing.Add(item);
                changed = true;
            }
        }

        return changed;
    }

    private static string Canonical<T>(T item) => JsonSerializer.Serialize(item, SkiffJson.Options);
}
