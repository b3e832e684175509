using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// What one object charges against a ResourceQuota (upstream's pkg/quota/v1/evaluator/core and the generic object-count
/// evaluator), measured the way the resource quota controller measures a whole namespace, so that a charge made here and
/// the controller's later recount agree.
/// </summary>
internal static class QuotaEvaluator
{
    private const string StorageClassSuffix = ".storageclass.storage.k8s.io/";

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
            ("", "persistentvolumeclaims") => name == "requests.storage" || name.Contains(StorageClassSuffix, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>Whether a quota's scopes select the object: scopes select pods only, so a scoped quota never measures other kinds.</summary>
    public static bool Matches(V1ResourceQuota quota, IKubernetesObject<V1ObjectMeta> item)
    {
        ArgumentNullException.ThrowIfNull(quota);
        bool scoped = quota.Spec?.Scopes is { Count: > 0 } || quota.Spec?.ScopeSelector?.MatchExpressions is { Count: > 0 };
        if (!scoped)
        {
            return true;
        }

        if (item is not V1Pod pod)
        {
            return false;
        }

        return (quota.Spec?.Scopes ?? []).All(scope => ScopeMatches(scope, "Exists", null, pod))
            && (quota.Spec?.ScopeSelector?.MatchExpressions ?? []).All(r => r is null || ScopeMatches(r.ScopeName, r.OperatorProperty, r.Values, pod));
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
    public static Dictionary<string, ResourceQuantity> Usage(ResourceInfo resource, IKubernetesObject<V1ObjectMeta> item)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var usage = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal) { [CountName(resource)] = Count(1) };
        if (resource.Group.Length == 0 && s_legacyCounts.Contains(resource.Plural))
        {
            usage[resource.Plural] = Count(1);
        }

        switch (item)
        {
            case V1Pod pod:
                if (pod.Status?.Phase is "Succeeded" or "Failed")
                {
                    return [];
                }

                foreach (string name in new[] { "cpu", "memory", "ephemeral-storage" })
                {
                    Put(usage, PodTotal(pod, name, limits: false), name, "requests." + name);
                    Put(usage, PodTotal(pod, name, limits: true), "limits." + name);
                }

                foreach (string hugepages in (pod.Spec?.Containers ?? []).SelectMany(c => c?.Resources?.Requests?.Keys ?? []).Where(k => k.StartsWith("hugepages-", StringComparison.Ordinal)).Distinct())
                {
                    Put(usage, PodTotal(pod, hugepages, limits: false), hugepages, "requests." + hugepages);
                }

                break;
            case V1Service service:
                usage["services.loadbalancers"] = Count(service.Spec?.Type == "LoadBalancer" ? 1 : 0);
                usage["services.nodeports"] = Count(service.Spec?.Type switch
                {
                    "NodePort" => service.Spec.Ports?.Count ?? 0,
                    "LoadBalancer" when service.Spec.AllocateLoadBalancerNodePorts != false => service.Spec.Ports?.Count ?? 0,
                    _ => 0,
                });
                break;
            case V1PersistentVolumeClaim claim:
                ResourceQuantity? storage = claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? s) == true ? s : null;
                Put(usage, storage, "requests.storage");
                string? storageClass = claim.Spec?.StorageClassName
                    ?? (claim.Metadata?.Annotations?.TryGetValue("volume.beta.kubernetes.io/storage-class", out string? legacy) == true ? legacy : null);
                if (!string.IsNullOrEmpty(storageClass))
                {
                    usage[storageClass + StorageClassSuffix + "persistentvolumeclaims"] = Count(1);
                    Put(usage, storage, storageClass + StorageClassSuffix + "requests.storage");
                }

                break;
        }

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

    private static ResourceQuantity Count(int count) => new(count, 0, ResourceQuantity.SuffixFormat.DecimalSI);

    private static void Put(Dictionary<string, ResourceQuantity> usage, ResourceQuantity? value, params string[] names)
    {
        if (value is null)
        {
            return;
        }

        foreach (string name in names)
        {
            usage[name] = value;
        }
    }

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

    // The pod's total as the scheduler sees it: the containers together, or the largest init container when that is more,
    // plus the runtime-class overhead; null when no container states the resource.
    private static ResourceQuantity? PodTotal(V1Pod pod, string name, bool limits)
    {
        decimal total = 0;
        ResourceQuantity.SuffixFormat? format = null;
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            if (Of(container, name, limits) is { } quantity)
            {
                total += quantity.ToDecimal();
                format ??= quantity.Format;
            }
        }

        foreach (V1Container init in pod.Spec?.InitContainers ?? [])
        {
            if (Of(init, name, limits) is { } quantity)
            {
                format ??= quantity.Format;
                total = Math.Max(total, quantity.ToDecimal());
            }
        }

        if (format is null)
        {
            return null;
        }

        if (pod.Spec?.Overhead?.TryGetValue(name, out ResourceQuantity? overhead) == true && overhead is not null)
        {
            total += overhead.ToDecimal();
        }

        return new ResourceQuantity(total, 0, format.Value);
    }

    private static ResourceQuantity? Of(V1Container? container, string name, bool limits)
    {
        IDictionary<string, ResourceQuantity>? values = limits ? container?.Resources?.Limits : container?.Resources?.Requests;
        return values?.TryGetValue(name, out ResourceQuantity? quantity) == true ? quantity : null;
    }

    private static bool ScopeMatches(string? scope, string? op, IList<string>? values, V1Pod pod)
    {
        bool bestEffort = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).All(c =>
            !HasCpuOrMemory(c?.Resources?.Requests) && !HasCpuOrMemory(c?.Resources?.Limits));
        string priorityClass = pod.Spec?.PriorityClassName ?? string.Empty;
        return scope switch
        {
            "Terminating" => pod.Spec?.ActiveDeadlineSeconds is >= 0,
            "NotTerminating" => pod.Spec?.ActiveDeadlineSeconds is null,
            "BestEffort" => bestEffort,
            "NotBestEffort" => !bestEffort,
            "PriorityClass" => op switch
            {
                "In" => values?.Contains(priorityClass) == true,
                "NotIn" => values?.Contains(priorityClass) != true,
                "DoesNotExist" => priorityClass.Length == 0,
                _ => priorityClass.Length > 0,
            },
            _ => false,
        };
    }

    private static bool HasCpuOrMemory(IDictionary<string, ResourceQuantity>? values) =>
        values is not null && (values.ContainsKey("cpu") || values.ContainsKey("memory"));
}
