using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Controllers.Endpoints;

/// <summary>The pure part of the Endpoints controller: the Endpoints object a Service and its pods call for.</summary>
internal static class EndpointsSync
{
    public const string ManagedByLabel = "endpoints.kubernetes.io/managed-by";
    public const string ManagedByValue = "endpoint-controller";
    public const string OverCapacityAnnotation = "endpoints.kubernetes.io/over-capacity";

    /// <summary>Upstream caps an Endpoints object at 1000 addresses and marks it truncated.</summary>
    public const int MaxAddresses = 1000;

    /// <summary>
    /// The subsets for <paramref name="service"/>: each pod with an IP that is not finished nor being deleted, ready ones in
    /// addresses and the rest in notReadyAddresses (all in addresses with publishNotReadyAddresses), with every Service port
    /// resolved on that pod. Addresses that resolve the same set of ports share one subset, as upstream's RepackSubsets does.
    /// </summary>
    public static List<V1EndpointSubset> ComputeSubsets(V1Service service, IEnumerable<V1Pod> pods, out bool truncated)
    {
        bool publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        IList<V1ServicePort> servicePorts = service.Spec?.Ports ?? [];
        var groups = new Dictionary<string, (List<Corev1EndpointPort> Ports, List<V1EndpointAddress> Ready, List<V1EndpointAddress> NotReady)>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            if (!ServicePods.Matches(service, pod) || !ServicePods.ShouldBeInEndpoints(pod, includeTerminating: publishNotReady))
            {
                continue;
            }

            var ports = new List<Corev1EndpointPort>();
            foreach (V1ServicePort servicePort in servicePorts)
            {
                if (ServicePods.FindPort(pod, servicePort) is { } number)
                {
                    ports.Add(new Corev1EndpointPort { Name = string.IsNullOrEmpty(servicePort.Name) ? null : servicePort.Name, Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
                }
            }

            // A pod that resolves none of the Service's ports has nothing to offer; a headless Service without ports still
            // publishes bare addresses (DNS only).
            if (ports.Count == 0 && !(servicePorts.Count == 0 && ServicePods.IsHeadless(service)))
            {
                continue;
            }

            ports.Sort(ComparePorts);
            string key = string.Join(";", ports.Select(p => $"{p.Name}/{p.Port}/{p.Protocol}/{p.AppProtocol}"));
            if (!groups.TryGetValue(key, out var group))
            {
                group = (ports, [], []);
                groups[key] = group;
            }

            V1EndpointAddress address = Address(pod, service);
            (publishNotReady || ServicePods.IsReady(pod) ? group.Ready : group.NotReady).Add(address);
        }

        truncated = false;
        int budget = MaxAddresses;
        var subsets = new List<V1EndpointSubset>();
        foreach (string key in groups.Keys.Order(StringComparer.Ordinal))
        {
            var (ports, ready, notReady) = groups[key];
            ready.Sort(CompareAddresses);
            notReady.Sort(CompareAddresses);

            // Over capacity, ready addresses are kept before not-ready ones.
            if (ready.Count > budget)
            {
                ready.RemoveRange(budget, ready.Count - budget);
                truncated = true;
            }

            budget -= ready.Count;
            subsets.Add(new V1EndpointSubset { Ports = ports.Count == 0 ? null : ports, Addresses = ready.Count == 0 ? null : ready, NotReadyAddresses = notReady.Count == 0 ? null : notReady });
        }

        foreach (V1EndpointSubset subset in subsets)
        {
            if (subset.NotReadyAddresses is { } notReady && notReady.Count > budget)
            {
                truncated = true;
                subset.NotReadyAddresses = budget == 0 ? null : [.. notReady.Take(budget)];
            }

            budget -= subset.NotReadyAddresses?.Count ?? 0;
        }

        subsets.RemoveAll(s => s.Addresses is null && s.NotReadyAddresses is null);
        return subsets;
    }

    /// <summary>
    /// The Endpoints object to write: the Service's name and labels (plus the headless marker and managed-by), the subsets,
    /// and the over-capacity annotation when addresses were dropped. <paramref name="current"/> supplies the metadata
    /// (resourceVersion, annotations of others) when updating.
    /// </summary>
    public static V1Endpoints Desired(V1Service service, IEnumerable<V1Pod> pods, V1Endpoints? current, DateTimeOffset now)
    {
        List<V1EndpointSubset> subsets = ComputeSubsets(service, pods, out bool truncated);
        V1Endpoints result = current is null
            ? new V1Endpoints { ApiVersion = "v1", Kind = "Endpoints", Metadata = new V1ObjectMeta { Name = service.Metadata.Name, NamespaceProperty = service.Metadata.NamespaceProperty } }
            : ReplicaSetSync.Clone(current);
        result.Metadata.Labels = Labels(service);
        var annotations = new Dictionary<string, string>(result.Metadata.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (truncated)
        {
            annotations[OverCapacityAnnotation] = "truncated";
        }
        else
        {
            annotations.Remove(OverCapacityAnnotation);
        }

        annotations[ServicePods.LastChangeTriggerTimeAnnotation] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        result.Metadata.Annotations = annotations;
        result.Subsets = subsets.Count == 0 ? null : subsets;
        return result;
    }

    /// <summary>True when writing <paramref name="desired"/> would change what a reader of <paramref name="current"/> sees
    /// (subsets, labels, capacity); the trigger-time annotation alone is no reason to write.</summary>
    public static bool NeedsUpdate(V1Endpoints current, V1Endpoints desired) =>
        !SameJson(current.Subsets is { Count: > 0 } ? current.Subsets : null, desired.Subsets)
        || !SameMap(current.Metadata?.Labels, desired.Metadata?.Labels)
        || current.Metadata?.Annotations?.ContainsKey(OverCapacityAnnotation) != desired.Metadata?.Annotations?.ContainsKey(OverCapacityAnnotation);

    public static Dictionary<string, string> Labels(V1Service service)
    {
        var labels = new Dictionary<string, string>(service.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (ServicePods.IsHeadless(service))
        {
            labels[ServicePods.HeadlessLabel] = string.Empty;
        }
        else
        {
            labels.Remove(ServicePods.HeadlessLabel);
        }

        labels[ManagedByLabel] = ManagedByValue;
        return labels;
    }

    internal static bool SameJson<T>(T? a, T? b)
        where T : class =>
        (a is null && b is null) || (a is not null && b is not null && SkiffJson.ToBytes(a).AsSpan().SequenceEqual(SkiffJson.ToBytes(b)));

    internal static bool SameMap(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        int countA = a?.Count ?? 0;
        int countB = b?.Count ?? 0;
        return countA == countB && (countA == 0 || a!.All(pair => b!.TryGetValue(pair.Key, out string? value) && value == pair.Value));
    }

    private static V1EndpointAddress Address(V1Pod pod, V1Service service) => new()
    {
        Ip = ServicePods.PodIP(pod),
        NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
        Hostname = ServicePods.Hostname(pod, service),
        TargetRef = ServicePods.PodReference(pod),
    };

    private static int ComparePorts(Corev1EndpointPort a, Corev1EndpointPort b)
    {
        int byName = string.CompareOrdinal(a.Name, b.Name);
        return byName != 0 ? byName : a.Port.CompareTo(b.Port) is var byPort && byPort != 0 ? byPort : string.CompareOrdinal(a.Protocol, b.Protocol);
    }

    // IPs compare as numbers, so 10.0.0.9 sorts before 10.0.0.10.
    private static int CompareAddresses(V1EndpointAddress a, V1EndpointAddress b) =>
        IpOrder(a.Ip).CompareTo(IpOrder(b.Ip)) is var byIp && byIp != 0 ? byIp : string.CompareOrdinal(a.TargetRef?.Name, b.TargetRef?.Name);

    private static long IpOrder(string? ip) =>
        System.Net.IPAddress.TryParse(ip, out System.Net.IPAddress? parsed) && parsed.GetAddressBytes() is { Length: 4 } bytes
            ? ((long)bytes[0] << 24) | ((long)bytes[1] << 16) | ((long)bytes[2] << 8) | bytes[3]
            : long.MaxValue;
}
