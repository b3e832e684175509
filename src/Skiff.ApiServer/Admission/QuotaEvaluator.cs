using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Quota;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// What one object charges against a ResourceQuota (upstream's pkg/quota/v1/evaluator/core and the generic object-count
/// evaluator): the usage is <see cref="QuotaUsage"/>, the resource quota controller's computation, over the one object, so
/// that a charge made here and the controller's later recount agree. Only admission's own rules (which names a kind
/// measures, container constraints, refusal texts) live here.
/// </summary>
internal static class QuotaEvaluator
{
    // Upstream's validationSet: quota on any of these makes every container name the matching request or limit.
    private static readonly HashSet<string> s_containerRequired = ["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

    private static readonly HashSet<string> s_podResources =
    [
        "pods", "count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    ];

    // Object counts that predate count/<resource> and keep their bare names.
    private static readonly HashSet<string> s_legacyCounts = ["pods", "configmaps", "secrets", "replicationcontrollers", "resourcequotas", "services", "persistentvolumeclaims"];

    /// <summary>Whether <paramref name="name"/> is a quota resource this kind's evaluator measures (upstream's MatchingResources).</summary>
    public static bool Measures(ResourceInfo resource, string name)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(name);
        if (name == CountName(resource) || (resource.Group.Length == 0 && s_legacyCounts.Contains(resource.Plural) && name == resource.Plural))
        {
            return true;
        }

        return (resource.Group, resource.Plural) switch
        {
            ("", "pods") => s_podResources.Contains(name) || name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.hugepages-", StringComparison.Ordinal),
            ("", "services") => name is "services.loadbalancers" or "services.nodeports",
            ("", "persistentvolumeclaims") => name == "requests.storage" || name.Contains(QuotaUsage.StorageClassSuffix, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Whether a quota's scopes select the object: scopes select pods only, so a scoped quota never measures other kinds.</summary>
    public static bool Matches(V1ResourceQuota quota, IKubernetesObject<V1ObjectMeta> item)
    {
        ArgumentNullException.ThrowIfNull(quota);
        return !QuotaScopes.IsScoped(quota) || (item is V1Pod pod && QuotaScopes.Matches(quota, pod));
    }

    /// <summary>
    /// Upstream's pod Constraints: when a quota limits cpu or memory, every container and init container must state the
    /// matching request or limit; returns the refusal text ("must specify limits.cpu for: app; requests.memory for: app") or null.
    /// </summary>
    public static string? MissingContainerResources(IEnumerable<string> restricted, IKubernetesObject<V1ObjectMeta> item)
    {
        if (item is not V1Pod pod)
        {
            return null;
        }

        HashSet<string> required = [.. restricted.Where(s_containerRequired.Contains)];
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (V1Container container in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []))
        {
            HashSet<string> stated = [.. ContainerResourceNames(container)];
            foreach (string name in required.Where(r => !stated.Contains(r)))
            {
                if (!missing.TryGetValue(name, out SortedSet<string>? containers))
                {
                    missing[name] = containers = new SortedSet<string>(StringComparer.Ordinal);
                }

                containers.Add(container?.Name ?? string.Empty);
            }
        }

        return missing.Count == 0 ? null : "must specify " + string.Join("; ", missing.Select(m => $"{m.Key} for: {string.Join(",", m.Value)}"));
    }

    /// <summary>The object's usage of every resource its kind measures (zero entries left out).</summary>
    public static Dictionary<string, ResourceQuantity> Usage(ResourceInfo resource, IKubernetesObject<V1ObjectMeta> item, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var names = new List<string> { CountName(resource) };
        if (resource.Group.Length == 0 && s_legacyCounts.Contains(resource.Plural))
        {
            names.Add(resource.Plural);
        }

        switch (item)
        {
            case V1Pod pod:
                names.AddRange(s_podResources);
                foreach (string hugepages in (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? [])
                    .SelectMany(c => c?.Resources?.Requests?.Keys ?? []).Where(k => k.StartsWith("hugepages-", StringComparison.Ordinal)))
                {
                    names.Add(hugepages);
                    names.Add("requests." + hugepages);
                }

                break;
            case V1Service:
                names.AddRange(["services.loadbalancers", "services.nodeports"]);
                break;
            case V1PersistentVolumeClaim claim:
                names.Add("requests.storage");
                if (QuotaUsage.StorageClassOf(claim) is { Length: > 0 } storageClass)
                {
                    names.Add(storageClass + QuotaUsage.StorageClassSuffix + "persistentvolumeclaims");
                    names.Add(storageClass + QuotaUsage.StorageClassSuffix + "requests.storage");
                }

                break;
        }

        string qualified = resource.QualifiedName;
        var inputs = new QuotaUsage.Inputs(
            item is V1Pod p && QuotaUsage.IsCounted(p, now) ? [p] : [],
            item is V1Service s ? [s] : [],
            item is V1PersistentVolumeClaim c ? [c] : [],
            name => name == qualified ? 1 : null);
        if (item is V1Pod && inputs.Pods.Count == 0)
        {
            return [];
        }

        Dictionary<string, ResourceQuantity> usage = QuotaUsage.Measure(names, scoped: false, inputs);
        foreach (string zero in usage.Where(u => u.Value.ToDecimal() == 0).Select(u => u.Key).ToList())
        {
            usage.Remove(zero);
        }

        return usage;
    }

    /// <summary>
    /// The sum in the first non-zero quantity's format, as the quota controller sums (256Mi stays 256Mi even when the quota's
    /// count started from a plain 0).
    /// </summary>
    public static ResourceQuantity Add(ResourceQuantity? a, ResourceQuantity b)
    {
        ArgumentNullException.ThrowIfNull(b);
        return a is null || a.ToDecimal() == 0 ? b : new ResourceQuantity(a.ToDecimal() + b.ToDecimal(), 0, a.Format);
    }

    /// <summary>Upstream's prettyPrint: <c>name=value</c> pairs sorted by name, joined with commas.</summary>
    public static string Print(IEnumerable<KeyValuePair<string, ResourceQuantity>> list) =>
        string.Join(",", list.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private static string CountName(ResourceInfo resource) =>
        resource.Group.Length == 0 ? $"count/{resource.Plural}" : $"count/{resource.Plural}.{resource.Group}";

    // Upstream's podComputeUsageHelper, per container: which quota names a container's requests and limits state.
    private static IEnumerable<string> ContainerResourceNames(V1Container? container)
    {
        foreach (string name in container?.Resources?.Requests?.Keys ?? [])
        {
            yield return name;
            yield return "requests." + name;
        }

        foreach (string name in container?.Resources?.Limits?.Keys ?? [])
        {
            yield return "limits." + name;
        }
    }
}
