using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

/// <summary>
/// A DaemonSet's RollingUpdate step (upstream daemon/update.go rollingUpdate). Without maxSurge, old pods are deleted (their
/// replacement comes from the next manage) while at most maxUnavailable nodes lack an available pod; unavailable old pods
/// are replaced at once. With maxSurge, an updated pod starts beside the old one on up to maxSurge nodes, and the old one is
/// deleted once the updated one is available.
/// </summary>
internal static class DaemonSetUpdate
{
    public static bool IsRollingUpdate(V1DaemonSet ds) => (ds.Spec?.UpdateStrategy?.Type ?? "RollingUpdate") == "RollingUpdate";

    public static bool AllowsSurge(V1DaemonSet ds) =>
        IsRollingUpdate(ds) && Scaled(ds.Spec?.UpdateStrategy?.RollingUpdate?.MaxSurge, 100) > 0;

    /// <summary>maxSurge and maxUnavailable as pod counts of <paramref name="desired"/>, rounded up; never both zero.</summary>
    public static (int MaxSurge, int MaxUnavailable) Limits(V1DaemonSet ds, int desired)
    {
        V1RollingUpdateDaemonSet? rolling = ds.Spec?.UpdateStrategy?.RollingUpdate;
        int maxSurge = Scaled(rolling?.MaxSurge, desired);
        int maxUnavailable = rolling?.MaxUnavailable is null ? 1 : Scaled(rolling.MaxUnavailable, desired);
        if (desired > 0 && maxSurge == 0 && maxUnavailable == 0)
        {
            maxUnavailable = 1;
        }

        return (maxSurge, maxUnavailable);
    }

    public static DaemonSetStep Plan(V1DaemonSet ds, IEnumerable<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> byNode, string hash, DateTimeOffset now)
    {
        int minReadySeconds = ds.Spec?.MinReadySeconds ?? 0;

        // Every node the pod should run on counts, with or without pods; so do nodes that still have pods.
        var perNode = new Dictionary<string, List<V1Pod>>(byNode.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
        int desired = 0;
        foreach (V1Node node in nodes)
        {
            if (NodeEligibility.ShouldRunOn(node, ds).ShouldRun)
            {
                desired++;
                perNode.TryAdd(node.Metadata?.Name ?? string.Empty, []);
            }
        }

        (int maxSurge, int maxUnavailable) = Limits(ds, desired);
        var step = new DaemonSetStep();
        if (maxSurge == 0)
        {
            int unavailable = 0;
            var candidates = new List<V1Pod>();
            foreach ((_, List<V1Pod> pods) in perNode.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!Split(ds, pods, hash, out V1Pod? newPod, out V1Pod? oldPod) || (newPod is null) == (oldPod is null))
                {
                    // Several pods of a kind, or none or both: manage sorts the node out first; it counts as unavailable.
                    unavailable++;
                }
                else if (newPod is not null)
                {
                    unavailable += PodControl.IsAvailable(newPod, minReadySeconds, now) ? 0 : 1;
                }
                else if (!PodControl.IsAvailable(oldPod!, minReadySeconds, now))
                {
                    // An old pod that is not available anyway can be replaced without making anything worse.
                    step.Delete.Add(oldPod!);
                }
                else if (unavailable < maxUnavailable)
                {
                    candidates.Add(oldPod!);
                }
            }

            step.Delete.AddRange(candidates.Take(Math.Clamp(maxUnavailable - unavailable, 0, candidates.Count)));
            return step;
        }

        int surged = 0;
        var surgeCandidates = new List<string>();
        foreach ((string node, List<V1Pod> pods) in perNode.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!Split(ds, pods, hash, out V1Pod? newPod, out V1Pod? oldPod))
            {
                surged++;
                continue;
            }

            if (oldPod is null)
            {
                // Nothing old here; manage creates a pod if one is missing.
                continue;
            }

            if (newPod is null)
            {
                if (!PodControl.IsAvailable(oldPod, minReadySeconds, now))
                {
                    step.CreateOn.Add(node);
                }
                else if (surged < maxSurge)
                {
                    surgeCandidates.Add(node);
                }

                continue;
            }

            if (!PodControl.IsAvailable(newPod, minReadySeconds, now))
            {
                surged++;
                continue;
            }

            step.Delete.Add(oldPod);
        }

        step.CreateOn.AddRange(surgeCandidates.Take(Math.Clamp(maxSurge - surged, 0, surgeCandidates.Count)));
        return step;
    }

    // At most one updated and one old pod that is not being deleted (upstream findUpdatedPodsOnNode); false when there are more.
    private static bool Split(V1DaemonSet ds, List<V1Pod> pods, string hash, out V1Pod? newPod, out V1Pod? oldPod)
    {
        newPod = null;
        oldPod = null;
        foreach (V1Pod pod in pods.Where(p => p.Metadata?.DeletionTimestamp is null))
        {
            if (DaemonSetSync.IsUpdated(pod, ds, hash))
            {
                if (newPod is not null)
                {
                    return false;
                }

                newPod = pod;
            }
            else
            {
                if (oldPod is not null)
                {
                    return false;
                }

                oldPod = pod;
            }
        }

        return true;
    }

    private static int Scaled(IntOrString? value, int total)
    {
        string text = value?.Value ?? "0";
        if (text.EndsWith('%'))
        {
            int percent = int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int p) ? p : 0;
            return (int)Math.Ceiling(percent * total / 100.0);
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 0;
    }
}
