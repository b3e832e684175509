using System.Globalization;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>A pod's QoS class.</summary>
public enum QosClass
{
    Guaranteed,
    Burstable,
    BestEffort,
}

/// <summary>
/// The arithmetic upstream's kubelet applies to requests and limits: QoS class, cpu shares, CFS quota, oom_score_adj and
/// the container's LinuxContainerResources. Requests that are not given default to the limits, as the API server does.
/// </summary>
public static class PodResources
{
    public const long CpuPeriod = 100_000;
    public const long MinShares = 2;
    public const long MaxShares = 262_144;
    public const long MinQuota = 1_000;
    public const int GuaranteedOomScoreAdj = -997;
    public const int BestEffortOomScoreAdj = 1000;

    private static readonly string[] QosResources = ["cpu", "memory"];

    /// <summary>The request of <paramref name="resource"/>, or its limit when only that is given, or null.</summary>
    public static ResourceQuantity? Request(V1Container container, string resource)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (container.Resources?.Requests?.TryGetValue(resource, out ResourceQuantity? request) == true && request is not null)
        {
            return request;
        }

        return Limit(container, resource);
    }

    public static ResourceQuantity? Limit(V1Container container, string resource)
    {
        ArgumentNullException.ThrowIfNull(container);
        return container.Resources?.Limits?.TryGetValue(resource, out ResourceQuantity? limit) == true ? limit : null;
    }

    /// <summary>Guaranteed when every container limits cpu and memory with requests equal to them, BestEffort with none at all.</summary>
    public static QosClass Qos(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var containers = AllContainers(pod).ToList();
        bool any = containers.Any(c => QosResources.Any(r => Request(c, r) is { } q && q.ToDecimal() != 0 || Limit(c, r) is { } l && l.ToDecimal() != 0));
        if (!any)
        {
            return QosClass.BestEffort;
        }

        bool guaranteed = containers.All(c => QosResources.All(r => Limit(c, r) is { } limit && Request(c, r)!.ToDecimal() == limit.ToDecimal()));
        return guaranteed ? QosClass.Guaranteed : QosClass.Burstable;
    }

    public static long MilliCpu(ResourceQuantity? quantity) => quantity is null ? 0 : (long)Math.Ceiling(quantity.ToDecimal() * 1000);

    public static long Bytes(ResourceQuantity? quantity) => quantity is null ? 0 : (long)Math.Ceiling(quantity.ToDecimal());

    /// <summary>cpu.shares for <paramref name="milliCpu"/>: 1024 per cpu, at least 2, at most 262144.</summary>
    public static long Shares(long milliCpu) => milliCpu == 0 ? MinShares : Math.Clamp(milliCpu * 1024 / 1000, MinShares, MaxShares);

    /// <summary>cfs_quota_us for a limit of <paramref name="milliCpu"/> over <see cref="CpuPeriod"/>; 0 (none) for no limit, at least 1000.</summary>
    public static long Quota(long milliCpu) => milliCpu == 0 ? 0 : Math.Max(milliCpu * CpuPeriod / 1000, MinQuota);

    /// <summary>Guaranteed -997, BestEffort 1000, Burstable 1000 - 1000 * memory request / node memory, kept within 3..999.</summary>
    public static int OomScoreAdj(V1Pod pod, V1Container container, long nodeMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        switch (Qos(pod))
        {
            case QosClass.Guaranteed:
                return GuaranteedOomScoreAdj;
            case QosClass.BestEffort:
                return BestEffortOomScoreAdj;
        }

        long request = Bytes(Request(container, "memory"));
        long adj = nodeMemoryBytes <= 0 ? BestEffortOomScoreAdj - 1 : 1000 - (1000 * request / nodeMemoryBytes);
        if (adj < 1000 + GuaranteedOomScoreAdj)
        {
            return 1000 + GuaranteedOomScoreAdj;
        }

        return adj >= BestEffortOomScoreAdj ? BestEffortOomScoreAdj - 1 : (int)adj;
    }

    /// <summary>The container's cgroup settings: shares from the cpu request, quota from the cpu limit, the memory limit.</summary>
    public static LinuxContainerResources ContainerResources(V1Pod pod, V1Container container, long nodeMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(container);
        long cpuLimit = MilliCpu(Limit(container, "cpu"));
        var resources = new LinuxContainerResources
        {
            CpuShares = Shares(MilliCpu(Request(container, "cpu"))),
            MemoryLimitInBytes = Bytes(Limit(container, "memory")),
            OomScoreAdj = OomScoreAdj(pod, container, nodeMemoryBytes),
        };
        if (cpuLimit > 0)
        {
            resources.CpuPeriod = CpuPeriod;
            resources.CpuQuota = Quota(cpuLimit);
        }

        return resources;
    }

    /// <summary>The app containers, then the init containers.</summary>
    public static IEnumerable<V1Container> AllContainers(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []);
    }

    /// <summary>The pod's effective request or limit: the sum over app containers, or the largest init container's if more.</summary>
    public static long PodTotal(V1Pod pod, Func<V1Container, long> value)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(value);
        long sum = (pod.Spec?.Containers ?? []).Sum(value);
        long init = (pod.Spec?.InitContainers ?? []).Select(value).DefaultIfEmpty(0).Max();
        return Math.Max(sum, init);
    }

    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
