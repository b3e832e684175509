using k8s.Models;

namespace Skiff.ControlPlane.Controllers.NodeLifecycle;

/// <summary>When a pod on a node with NoExecute taints must go (upstream's taint eviction rules, made level-based).</summary>
public static class TaintEviction
{
    /// <summary>
    /// The time <paramref name="tolerations"/> stop protecting the pod from <paramref name="taints"/> (the node's NoExecute
    /// taints), or null when they tolerate them forever. A taint no toleration matches means now. For a tolerated taint, the
    /// smallest tolerationSeconds among the tolerations matching it counts from the time the taint was added
    /// (<paramref name="addedAt"/>); a taint whose matching tolerations set no tolerationSeconds is tolerated forever.
    /// </summary>
    public static DateTime? Deadline(IEnumerable<V1Taint> taints, IList<V1Toleration>? tolerations, Func<V1Taint, DateTime> addedAt, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(taints);
        ArgumentNullException.ThrowIfNull(addedAt);
        tolerations ??= [];
        DateTime? deadline = null;
        foreach (V1Taint taint in taints)
        {
            List<V1Toleration> matching = [.. tolerations.Where(t => Tolerations.Tolerates(t, taint))];
            if (matching.Count == 0)
            {
                return now;
            }

            long? seconds = matching.Where(t => t.TolerationSeconds is not null).Select(t => t.TolerationSeconds).Min();
            if (seconds is null)
            {
                continue;
            }

            DateTime due = seconds <= 0 ? now : addedAt(taint).AddSeconds(seconds.Value);
            deadline = deadline is null || due < deadline ? due : deadline;
        }

        return deadline;
    }

    /// <summary>The NoExecute taints of a node.</summary>
    public static List<V1Taint> NoExecuteTaints(V1Node? node) =>
        [.. (node?.Spec?.Taints ?? []).Where(t => t.Effect == Taints.NoExecute)];
}
