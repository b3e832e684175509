using k8s.Models;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// A pod's QoS class by upstream's rule: BestEffort when no container (init containers included) requests or limits cpu or
/// memory; Guaranteed when every container limits both cpu and memory and its requests, where given, equal its limits;
/// Burstable otherwise. Pure.
/// </summary>
internal static class QosClass
{
    private static readonly string[] s_resources = ["cpu", "memory"];

    public static string Of(V1PodSpec spec)
    {
        var containers = (spec.InitContainers ?? []).Concat(spec.Containers ?? []).ToList();
        bool any = false;
        bool guaranteed = containers.Count > 0;
        foreach (V1Container c in containers)
        {
            IDictionary<string, ResourceQuantity> requests = c.Resources?.Requests ?? new Dictionary<string, ResourceQuantity>();
            IDictionary<string, ResourceQuantity> limits = c.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
            foreach (string name in s_resources)
            {
                bool hasRequest = requests.TryGetValue(name, out ResourceQuantity? request) && request.ToDecimal() != 0;
                bool hasLimit = limits.TryGetValue(name, out ResourceQuantity? limit) && limit.ToDecimal() != 0;
                any |= hasRequest || hasLimit;
                if (!hasLimit || (hasRequest && request?.ToDecimal() != limit?.ToDecimal()))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
