using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>What a failed cycle hands the PostFilter phase: its state, the PreFilter rejection if any, the filters that ran, the nominations and the snapshot.</summary>
internal sealed record FitFailure(
    CycleState State,
    PluginStatus? PreFilter,
    IFilterPlugin[] Filters,
    IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> Nominated,
    IClusterSnapshot Snapshot);

/// <summary>The PostFilter phase (preemption) and the nominated pods the Filter phase counts.</summary>
public sealed partial class Scheduler
{
    /// <summary>Where preemption's writes go (the real one is <see cref="SchedulerApi"/>); null: victims are chosen but nothing is written.</summary>
    public IPreemptionApi? PreemptionApi { get; init; }

    /// <summary>The PodDisruptionBudgets preemption honours (the runner lists its PDB informer); null: none.</summary>
    public Func<IReadOnlyList<V1PodDisruptionBudget>>? PodDisruptionBudgets { get; init; }

    // Upstream's two-pass filter (RunFilterPluginsWithNominatedPods): first with the pods nominated to the node at the pod's
    // priority or higher counted as if they ran there, so the pod does not take room preemption freed for them; then without
    // them, since a nominated pod may never arrive and must not be what lets this pod fit (anti-affinity, for one).
    private static PluginStatus? RunFiltersWithNominatedPods(
        CycleState state, V1Pod pod, NodeInfo node, IFilterPlugin[] filters, IReadOnlyDictionary<string, IReadOnlyList<V1Pod>> nominated)
    {
        if (nominated.Count > 0 && nominated.TryGetValue(node.Name, out IReadOnlyList<V1Pod>? pods))
        {
            int priority = PriorityOf(pod);
            NodeInfo? withNominated = null;
            foreach (V1Pod other in pods)
            {
                if (PriorityOf(other) >= priority && other.Metadata?.Uid != pod.Metadata?.Uid)
                {
                    withNominated ??= node.Clone();
                    withNominated.AddPod(other);
                }
            }

            if (withNominated is not null && RunFilters(state, pod, withNominated, filters) is { } rejected)
            {
                return rejected;
            }
        }

        return RunFilters(state, pod, node, filters);
    }

    private static int PriorityOf(V1Pod pod) => pod.Spec?.Priority ?? 0;

    private string? NominatedNodeToTry(V1Pod pod) =>
        !string.IsNullOrEmpty(pod.Status?.NominatedNodeName) ? pod.Status.NominatedNodeName : _queue.NominatedNodeOf(pod);

    /// <summary>
    /// Runs the profile's PostFilter plugins on a pod that fit nowhere (upstream's RunPostFilterPlugins), until one succeeds or
    /// answers other than Unschedulable; applies the nomination it returns and adds its message to the FailedScheduling text.
    /// </summary>
    private async Task<ScheduleResult> RunPostFilterAsync(Profile profile, ScheduleResult result, CancellationToken cancellationToken)
    {
        FitFailure fit = result.Fit!;
        V1Pod pod = result.Pod;
        IReadOnlyDictionary<string, PluginStatus> nodeToStatus = fit.PreFilter is { } preFilter
            ? fit.Snapshot.Nodes.ToDictionary(n => n.Name, _ => preFilter, StringComparer.Ordinal)
            : result.NodeToStatus;
        var handle = new CycleHandle(this, fit);
        PostFilterResult? outcome = null;
        var messages = new List<string>();
        foreach (IPostFilterPlugin plugin in profile.PostFilter)
        {
            outcome = await plugin.PostFilterAsync(fit.State, pod, nodeToStatus, handle, cancellationToken).ConfigureAwait(false);
            if (outcome.Status.Reasons.Count > 0)
            {
                messages.Add(string.Join(", ", outcome.Status.Reasons));
            }

            if (outcome.Status.Code != StatusCode.Unschedulable)
            {
                break;
            }
        }

        if (outcome?.Status.Code == StatusCode.Error)
        {
            return result with { IsError = true, FailureMessage = $"running PostFilter plugin \"{outcome.Status.Plugin}\": {string.Join(", ", outcome.Status.Reasons)}" };
        }

        string? nominated = outcome?.NominatedNodeName;
        await ApplyNominationAsync(pod, nominated, cancellationToken).ConfigureAwait(false);
        string message = FailureMessage.Build(fit.Snapshot.Nodes.Count, fit.PreFilter, result.NodeToStatus, string.Join(" ", messages));
        return result with { FailureMessage = message, NominatedNodeName = string.IsNullOrEmpty(nominated) ? null : nominated };
    }

    // The queue learns the nomination at once (the next cycles count the pod on the node); status.nominatedNodeName is written
    // so kubectl shows it and another scheduler instance would learn it. Empty clears a nomination the pod had.
    private async Task ApplyNominationAsync(V1Pod pod, string? nodeName, CancellationToken cancellationToken)
    {
        if (nodeName is null)
        {
            return;
        }

        string current = pod.Status?.NominatedNodeName ?? string.Empty;
        if (nodeName.Length > 0)
        {
            _queue.AddNominatedPod(pod, nodeName);
        }
        else
        {
            _queue.DeleteNominatedPodIfExists(pod);
        }

        if (PreemptionApi is not null && current != nodeName)
        {
            try
            {
                await PreemptionApi.SetNominatedNodeNameAsync(pod, nodeName, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // The nomination is kept in memory either way; a failed write only costs kubectl's view of it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogNominationWriteFailed(exception, pod.Metadata?.NamespaceProperty, pod.Metadata?.Name, nodeName);
            }
        }
    }

    private sealed class CycleHandle(Scheduler scheduler, FitFailure fit) : IFrameworkHandle
    {
        public IClusterSnapshot Snapshot => fit.Snapshot;

        public IPreemptionApi? Api => scheduler.PreemptionApi;

        public IReadOnlyList<V1Pod> NominatedPodsForNode(string nodeName) =>
            fit.Nominated.TryGetValue(nodeName, out IReadOnlyList<V1Pod>? pods) ? pods : [];

        public string? NominatedNodeOf(V1Pod pod) => scheduler.NominatedNodeToTry(pod);

        public PluginStatus RunFilterPluginsWithNominatedPods(CycleState state, V1Pod pod, NodeInfo node) =>
            RunFiltersWithNominatedPods(state, pod, node, fit.Filters, fit.Nominated) ?? PluginStatus.Success;

        public IReadOnlyList<V1PodDisruptionBudget> PodDisruptionBudgets() => scheduler.PodDisruptionBudgets?.Invoke() ?? [];

        public void ForgetNomination(V1Pod pod) => scheduler._queue.DeleteNominatedPodIfExists(pod);
    }

    [LoggerMessage(EventId = 7220, Level = LogLevel.Warning, Message = "Writing status.nominatedNodeName={NodeName} of pod {Namespace}/{Name} failed; the nomination is kept in memory.")]
    private partial void LogNominationWriteFailed(Exception exception, string? @namespace, string? name, string nodeName);

    [LoggerMessage(EventId = 7221, Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} preempts on node {NodeName}; it is nominated there and retried when the victims are gone.")]
    private partial void LogNominated(string? @namespace, string? name, string nodeName);
}
