using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// What a pod asks of a node (upstream's resource helpers): the containers plus the native sidecars (init containers with
/// restartPolicy Always, which keep running), or — if larger — what any regular init container needs while the sidecars
/// started before it run; plus spec.overhead. Only requests count; a container with limits but no requests is defaulted by
/// the API server, not here.
/// </summary>
public static class PodRequests
{
    public static Resources Of(V1Pod pod) => Of(pod, Requests);

    /// <summary>The same rule over another view of each container's requests (scoring's non-zero defaults, for one).</summary>
    public static Resources Of(V1Pod pod, Func<V1Container, Resources> requests)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(requests);
        V1PodSpec spec = pod.Spec ?? new V1PodSpec();
        Resources running = Resources.Zero;
        foreach (V1Container container in spec.Containers ?? [])
        {
            running = running.Add(requests(container));
        }

        Resources sidecars = Resources.Zero;
        Resources initPeak = Resources.Zero;
        foreach (V1Container init in spec.InitContainers ?? [])
        {
            if (init.RestartPolicy == "Always")
            {
                sidecars = sidecars.Add(requests(init));
                initPeak = initPeak.Max(sidecars);
            }
            else
            {
                initPeak = initPeak.Max(sidecars.Add(requests(init)));
            }
        }

        Resources total = running.Add(sidecars).Max(initPeak);
        if (spec.Overhead is { Count: > 0 } overhead)
        {
            total = total.Add(Resources.From(overhead, pods: 0));
        }

        return total with { Pods = 1 };
    }

    private static Resources Requests(V1Container container) => Resources.From(container.Resources?.Requests, pods: 0);
}
