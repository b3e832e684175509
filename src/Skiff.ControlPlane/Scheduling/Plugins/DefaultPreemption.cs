using k8s.Autorest;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Upstream's DefaultPreemption PostFilter plugin. When a pod fits nowhere it looks, on the nodes a Filter plugin rejected as
/// Unschedulable (not UnschedulableAndUnresolvable), for the smallest set of lower-priority pods whose removal lets it fit;
/// picks one node among those candidates; evicts the victims there; and nominates the pod to the node, where it is retried
/// once the victims are gone. Pods with preemptionPolicy Never, and pods still waiting for victims they preempted earlier,
/// preempt nothing.
/// </summary>
public sealed partial class DefaultPreemption : IPostFilterPlugin
{
    public const string PluginName = "DefaultPreemption";

    internal const string NoVictims = "No preemption victims found for incoming pod";
    internal const string NotHelpful = "Preemption is not helpful for scheduling";

    /// <param name="minCandidateNodesPercentage">Upstream's minCandidateNodesPercentage (default 10): at least this share of the
    /// nodes where preemption may help is dry-run before one is picked.</param>
    /// <param name="minCandidateNodesAbsolute">Upstream's minCandidateNodesAbsolute (default 100): and at least this many.</param>
    public DefaultPreemption(int minCandidateNodesPercentage = 10, int minCandidateNodesAbsolute = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minCandidateNodesPercentage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minCandidateNodesPercentage, 100);
        ArgumentOutOfRangeException.ThrowIfNegative(minCandidateNodesAbsolute);
        if (minCandidateNodesPercentage == 0 && minCandidateNodesAbsolute == 0)
        {
            throw new ArgumentException("minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be zero.", nameof(minCandidateNodesAbsolute));
        }

        MinCandidateNodesPercentage = minCandidateNodesPercentage;
        MinCandidateNodesAbsolute = minCandidateNodesAbsolute;
    }

    public string Name => PluginName;

    public int MinCandidateNodesPercentage { get; }

    public int MinCandidateNodesAbsolute { get; }

    public async Task<PostFilterResult> PostFilterAsync(
        CycleState state, V1Pod pod, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, IFrameworkHandle handle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeToStatus);
        ArgumentNullException.ThrowIfNull(handle);
        if (NotEligibleReason(pod, nodeToStatus, handle) is { } reason)
        {
            // The nomination is left alone: a pod waiting for its victims keeps its node.
            return new PostFilterResult(PluginStatus.Unschedulable(Name, "preemption: " + reason));
        }

        var statuses = new Dictionary<string, PluginStatus>(StringComparer.Ordinal);
        List<Candidate> candidates = FindCandidates(state, pod, nodeToStatus, handle, statuses);
        if (candidates.Count == 0)
        {
            foreach (NodeInfo node in handle.Snapshot.Nodes)
            {
                statuses.TryAdd(node.Name, PluginStatus.UnschedulableAndUnresolvable(Name, NotHelpful));
            }

            // Upstream answers with a FitError of its own, and clears a nomination the pod had.
            string fitError = FailureMessage.Build(handle.Snapshot.Nodes.Count, null, statuses, null);
            return new PostFilterResult(PluginStatus.Unschedulable(Name, "preemption: " + fitError), string.Empty);
        }

        Candidate best = SelectCandidate(candidates);
        try
        {
            await PrepareCandidateAsync(best, pod, handle, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException exception)
        {
            return new PostFilterResult(PluginStatus.Error(Name, $"preempting on node \"{best.NodeName}\": {exception.Message}"));
        }
        catch (HttpRequestException exception)
        {
            return new PostFilterResult(PluginStatus.Error(Name, $"preempting on node \"{best.NodeName}\": {exception.Message}"));
        }

        return new PostFilterResult(PluginStatus.Success, best.NodeName);
    }

    /// <summary>
    /// Why the pod may not preempt (upstream's PodEligibleToPreemptOthers), or null: preemptionPolicy Never; or it preempted
    /// before and a lower-priority pod on its nominated node is still terminating because of that, unless that node no longer
    /// fits whatever is removed.
    /// </summary>
    internal static string? NotEligibleReason(V1Pod pod, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, IFrameworkHandle handle)
    {
        if (pod.Spec?.PreemptionPolicy == "Never")
        {
            return "not eligible due to preemptionPolicy=Never.";
        }

        if (handle.NominatedNodeOf(pod) is not { Length: > 0 } nominated)
        {
            return null;
        }

        if (nodeToStatus.TryGetValue(nominated, out PluginStatus? status) && status.Code == StatusCode.UnschedulableAndUnresolvable)
        {
            return null;
        }

        int priority = Priority(pod);
        bool waiting = handle.Snapshot.Find(nominated)?.Pods.Any(p => Priority(p) < priority && TerminatingByPreemption(p)) == true;
        return waiting ? "not eligible due to a terminating pod on the nominated node." : null;
    }

    private static bool TerminatingByPreemption(V1Pod pod) =>
        pod.Metadata?.DeletionTimestamp is not null
        && pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "DisruptionTarget") is { Status: "True", Reason: "PreemptionByScheduler" };

    internal static int Priority(V1Pod pod) => pod.Spec?.Priority ?? 0;

    // Dry-runs preemption on the nodes where it may help, from an offset derived from the pod's uid (upstream picks it at
    // random; a stable one replays), until enough candidates are found. Each rejected node's status lands in statuses.
    private List<Candidate> FindCandidates(
        CycleState state, V1Pod pod, IReadOnlyDictionary<string, PluginStatus> nodeToStatus, IFrameworkHandle handle, Dictionary<string, PluginStatus> statuses)
    {
        List<NodeInfo> potential = [.. handle.Snapshot.Nodes.Where(n => nodeToStatus.TryGetValue(n.Name, out PluginStatus? s) && s.Code == StatusCode.Unschedulable)];
        var candidates = new List<Candidate>();
        if (potential.Count == 0)
        {
            return candidates;
        }

        IReadOnlyList<V1PodDisruptionBudget> pdbs = handle.PodDisruptionBudgets();
        int wanted = NumCandidates(potential.Count);
        int offset = (int)(StableHash(pod.Metadata?.Uid ?? string.Empty) % (uint)potential.Count);
        bool anyWithoutViolations = false;
        for (int i = 0; i < potential.Count; i++)
        {
            NodeInfo node = potential[(offset + i) % potential.Count];
            (List<V1Pod> victims, int violations, PluginStatus status) = SelectVictimsOnNode(state, pod, node.Clone(), pdbs, handle);
            if (status.IsSuccess && victims.Count > 0)
            {
                candidates.Add(new Candidate(node.Name, victims, violations));
                anyWithoutViolations |= violations == 0;
                if (anyWithoutViolations && candidates.Count >= wanted)
                {
                    break;
                }
            }
            else
            {
                statuses[node.Name] = status.IsSuccess ? PluginStatus.Error(Name, $"expected at least one victim pod on node \"{node.Name}\"") : status;
            }
        }

        return candidates;
    }

    /// <summary>Upstream's calculateNumCandidates: the percentage of the nodes, at least the absolute number, at most all of them.</summary>
    internal int NumCandidates(int nodes) => Math.Min(nodes, Math.Max(nodes * MinCandidateNodesPercentage / 100, MinCandidateNodesAbsolute));

    // Evicts the victims (those already terminating need no second call), then clears the nomination of lower-priority pods
    // nominated to the node: they may no longer fit there and should look elsewhere at once.
    private static async Task PrepareCandidateAsync(Candidate candidate, V1Pod pod, IFrameworkHandle handle, CancellationToken cancellationToken)
    {
        IPreemptionApi? api = handle.Api;
        foreach (V1Pod victim in candidate.Victims)
        {
            if (victim.Metadata?.DeletionTimestamp is null && api is not null)
            {
                await api.PreemptAsync(pod, victim, candidate.NodeName, cancellationToken).ConfigureAwait(false);
            }
        }

        int priority = Priority(pod);
        foreach (V1Pod nominated in handle.NominatedPodsForNode(candidate.NodeName).Where(p => Priority(p) < priority && p.Metadata?.Uid != pod.Metadata?.Uid))
        {
            handle.ForgetNomination(nominated);
            if (api is null || string.IsNullOrEmpty(nominated.Status?.NominatedNodeName))
            {
                continue;
            }

            try
            {
                await api.SetNominatedNodeNameAsync(nominated, string.Empty, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException)
            {
                // Not critical (upstream only logs it): the pod's next cycle finds its own node.
            }
        }
    }

    // FNV-1a over the uid: string.GetHashCode differs between processes.
    private static uint StableHash(string value)
    {
        uint hash = 2166136261;
        foreach (char c in value)
        {
            hash = (hash ^ c) * 16777619;
        }

        return hash;
    }

    /// <summary>A node where preemption lets the pod fit, with the victims (most important first) and how many of them violate a PDB.</summary>
    internal sealed record Candidate(string NodeName, IReadOnlyList<V1Pod> Victims, int NumPdbViolations);
}
