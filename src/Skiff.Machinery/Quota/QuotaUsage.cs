using k8s.Models;

namespace Skiff.Machinery.Quota;

/// <summary>
/// The pure part of the resource quota controller (upstream pkg/quota/v1/evaluator/core and the generic object-count
/// evaluator): what a namespace uses of each resource a quota's spec.hard names.
/// </summary>
public static class QuotaUsage
{
    /// <summary>The middle of a per-storage-class quota name: <c>&lt;class&gt;.storageclass.storage.k8s.io/&lt;resource&gt;</c>.</summary>
    public const string StorageClassSuffix = ".storageclass.storage.k8s.io/";

    /// <summary>What the usage is computed from: the namespace's pods, Services and claims, and a count of any other resource
    /// by its qualified name ("configmaps", "deployments.apps"), null when that resource is unknown.</summary>
    public sealed record Inputs(
        IReadOnlyCollection<V1Pod> Pods,
        IReadOnlyCollection<V1Service> Services,
        IReadOnlyCollection<V1PersistentVolumeClaim> Claims,
        Func<string, int?> Count);

    /// <summary>
    /// status.used for <paramref name="quota"/>: one entry per resource of spec.hard this controller knows how to measure
    /// (upstream masks usage with hard the same way). Pods that finished, or whose deletion grace period ran out, use nothing.
    /// </summary>
    public static Dictionary<string, ResourceQuantity> Compute(V1ResourceQuota quota, Inputs inputs, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentNullException.ThrowIfNull(inputs);
        List<V1Pod> pods = [.. inputs.Pods.Where(p => IsCounted(p, now) && QuotaScopes.Matches(quota, p))];
        return Measure(quota.Spec?.Hard?.Keys ?? [], QuotaScopes.IsScoped(quota), inputs with { Pods = pods });
    }

    /// <summary>
    /// What <paramref name="inputs"/> use of each of <paramref name="resources"/>, taking every pod given as counted and in
    /// scope; <paramref name="scoped"/> measures pod resources only. Resources not measured here are left out.
    /// </summary>
    public static Dictionary<string, ResourceQuantity> Measure(IEnumerable<string> resources, bool scoped, Inputs inputs)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(inputs);
        List<V1Pod> pods = [.. inputs.Pods];
        var used = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (string resource in resources.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            // Scopes apply to pods only; the API server rejects other resources in a scoped quota.
            ResourceQuantity? value = PodResource(resource, pods) ?? (scoped ? null : OtherResource(resource, inputs));
            if (value is not null)
            {
                used[resource] = value;
            }
        }

        return used;
    }

    /// <summary>Upstream's QuotaV1Pod: a pod counts until it finishes or its deletion grace period has passed.</summary>
    public static bool IsCounted(V1Pod pod, DateTimeOffset now)
    {
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return false;
        }

        if (pod.Metadata?.DeletionTimestamp is { } deletion && pod.Metadata.DeletionGracePeriodSeconds is { } grace)
        {
            return new DateTimeOffset(DateTime.SpecifyKind(deletion, DateTimeKind.Utc)).AddSeconds(grace) >= now;
        }

        return true;
    }

    private static ResourceQuantity? PodResource(string resource, List<V1Pod> pods)
    {
        switch (resource)
        {
            case "pods" or "count/pods":
                return QuantitySum.Count(pods.Count);
            case "cpu" or "requests.cpu":
                return Sum(pods, "cpu", limits: false);
            case "memory" or "requests.memory":
                return Sum(pods, "memory", limits: false);
            case "ephemeral-storage" or "requests.ephemeral-storage":
                return Sum(pods, "ephemeral-storage", limits: false);
            case "limits.cpu":
                return Sum(pods, "cpu", limits: true);
            case "limits.memory":
                return Sum(pods, "memory", limits: true);
            case "limits.ephemeral-storage":
                return Sum(pods, "ephemeral-storage", limits: true);
        }

        if (resource.StartsWith("requests.hugepages-", StringComparison.Ordinal) || resource.StartsWith("hugepages-", StringComparison.Ordinal))
        {
            return Sum(pods, resource.StartsWith("requests.", StringComparison.Ordinal) ? resource["requests.".Length..] : resource, limits: false);
        }

        return null;
    }

    private static ResourceQuantity? OtherResource(string resource, Inputs inputs)
    {
        switch (resource)
        {
            case "services" or "count/services":
                return QuantitySum.Count(inputs.Services.Count);
            case "services.loadbalancers":
                return QuantitySum.Count(inputs.Services.Count(s => s.Spec?.Type == "LoadBalancer"));
            case "services.nodeports":
                return QuantitySum.Count(inputs.Services.Sum(NodePorts));
            case "persistentvolumeclaims" or "count/persistentvolumeclaims":
                return QuantitySum.Count(inputs.Claims.Count);
            case "requests.storage":
                return ClaimStorage(inputs.Claims);
        }

        int classAt = resource.IndexOf(StorageClassSuffix, StringComparison.Ordinal);
        if (classAt > 0)
        {
            string storageClass = resource[..classAt];
            List<V1PersistentVolumeClaim> claims = [.. inputs.Claims.Where(c => StorageClassOf(c) == storageClass)];
            return resource[(classAt + StorageClassSuffix.Length)..] switch
            {
                "persistentvolumeclaims" => QuantitySum.Count(claims.Count),
                "requests.storage" => ClaimStorage(claims),
                _ => null,
            };
        }

        string name = resource.StartsWith("count/", StringComparison.Ordinal) ? resource["count/".Length..] : resource;
        if (resource.StartsWith("count/", StringComparison.Ordinal) || name is "configmaps" or "secrets" or "replicationcontrollers" or "resourcequotas")
        {
            return inputs.Count(name) is { } count ? QuantitySum.Count(count) : null;
        }

        return null;
    }

    // Requests and limits of a pod as the scheduler sees them: the containers together, or the largest init container
    // when that is more (init containers run one at a time before the others), plus the runtime-class overhead.
    private static ResourceQuantity Sum(List<V1Pod> pods, string name, bool limits)
    {
        var total = new QuantitySum();
        foreach (V1Pod pod in pods)
        {
            var containers = new QuantitySum();
            foreach (V1Container container in pod.Spec?.Containers ?? [])
            {
                containers.Add(Of(container, name, limits));
            }

            decimal podValue = containers.Total;
            ResourceQuantity.SuffixFormat format = containers.Format;
            bool any = !containers.IsEmpty;
            foreach (V1Container init in pod.Spec?.InitContainers ?? [])
            {
                if (Of(init, name, limits) is { } quantity)
                {
                    any = true;
                    if (quantity.ToDecimal() > podValue)
                    {
                        podValue = quantity.ToDecimal();
                        format = containers.IsEmpty ? quantity.Format : format;
                    }
                }
            }

            if (pod.Spec?.Overhead?.TryGetValue(name, out ResourceQuantity? overhead) == true && overhead is not null && any)
            {
                podValue += overhead.ToDecimal();
            }

            if (any)
            {
                total.Add(podValue, format);
            }
        }

        return total.ToQuantity();
    }

    private static ResourceQuantity? Of(V1Container container, string name, bool limits)
    {
        IDictionary<string, ResourceQuantity>? values = limits ? container?.Resources?.Limits : container?.Resources?.Requests;
        return values?.TryGetValue(name, out ResourceQuantity? quantity) == true ? quantity : null;
    }

    private static int NodePorts(V1Service service) => service.Spec?.Type switch
    {
        "NodePort" => service.Spec.Ports?.Count ?? 0,
        "LoadBalancer" when service.Spec.AllocateLoadBalancerNodePorts != false => service.Spec.Ports?.Count ?? 0,
        _ => 0,
    };

    private static ResourceQuantity ClaimStorage(IEnumerable<V1PersistentVolumeClaim> claims)
    {
        var total = new QuantitySum();
        foreach (V1PersistentVolumeClaim claim in claims)
        {
            if (claim.Spec?.Resources?.Requests?.TryGetValue("storage", out ResourceQuantity? storage) == true)
            {
                total.Add(storage);
            }
        }

        return total.ToQuantity();
    }

    /// <summary>A claim's storage class: spec.storageClassName, or the legacy beta annotation.</summary>
    public static string? StorageClassOf(V1PersistentVolumeClaim claim) =>
        claim.Spec?.StorageClassName
        ?? (claim.Metadata?.Annotations?.TryGetValue("volume.beta.kubernetes.io/storage-class", out string? legacy) == true ? legacy : null);
}
