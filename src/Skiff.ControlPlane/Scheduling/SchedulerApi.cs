using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// The scheduler's writes, as kube-scheduler makes them: the binding (step 3 of the pod-creation flow, through
/// <c>pods/binding</c>), and on failure the FailedScheduling Warning event plus the PodScheduled=False condition that
/// <c>kubectl describe pod</c> and <c>kubectl get pod</c> show; for preemption, the victims' eviction and the preemptor's
/// status.nominatedNodeName.
/// </summary>
public sealed class SchedulerApi : IPreemptionApi
{
    public const string DefaultSchedulerName = "default-scheduler";

    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly TimeProvider _timeProvider;

    /// <param name="client">The scheduler's client.</param>
    /// <param name="events">Events are recorded in the name of the profile that handled the pod (its schedulerName), as upstream's per-profile recorders do.</param>
    /// <param name="timeProvider">Clock.</param>
    public SchedulerApi(IKubernetes client, IEventRecorder events, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _client = client;
        _events = events;
        _timeProvider = timeProvider;
    }

    private static string SchedulerOf(V1Pod pod) => string.IsNullOrEmpty(pod.Spec?.SchedulerName) ? DefaultSchedulerName : pod.Spec.SchedulerName;

    private IEventRecorder EventsFor(V1Pod pod) => _events.ForComponent(SchedulerOf(pod));

    /// <summary>Binds <paramref name="pod"/> to <paramref name="nodeName"/>; the uid guards against a recreated pod of the same name.</summary>
    public async Task BindAsync(V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        var binding = new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty, Uid = pod.Metadata.Uid },
            Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = nodeName },
        };
        await _client.CoreV1.CreateNamespacedPodBindingAsync(binding, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        EventsFor(pod).Record(pod, EventTypes.Normal, "Scheduled", $"Successfully assigned {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} to {nodeName}");
    }

    /// <summary>
    /// Reports that no node fits: the Warning event and, through <c>pods/status</c>, PodScheduled=False with reason
    /// Unschedulable and the same message (written only when it changed, as upstream avoids status churn).
    /// </summary>
    public async Task ReportUnschedulableAsync(V1Pod pod, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(message);
        EventsFor(pod).Record(pod, EventTypes.Warning, "FailedScheduling", message);
        V1PodCondition? current = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (current is { Status: "False", Reason: "Unschedulable" } && current.Message == message)
        {
            return;
        }

        string now = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var condition = new JsonObject
        {
            ["type"] = "PodScheduled",
            ["status"] = "False",
            ["reason"] = "Unschedulable",
            ["message"] = message,
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = current?.Status == "False" && current.LastTransitionTime is { } since
                ? since.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                : now,
        };
        // A strategic merge patch keyed by condition type leaves the pod's other conditions alone.
        var patch = new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) } };
        await _client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch),
            pod.Metadata.Name,
            pod.Metadata.NamespaceProperty,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Evicts a preemption victim as upstream does: the DisruptionTarget condition (reason PreemptionByScheduler) through
    /// <c>pods/status</c>, then a graceful DELETE that only matches the victim's uid, then the Normal "Preempted" event. A
    /// victim already gone (404), or replaced by a pod of the same name (409 on the uid), is not an error.
    /// </summary>
    public async Task PreemptAsync(V1Pod preemptor, V1Pod victim, string nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(preemptor);
        ArgumentNullException.ThrowIfNull(victim);
        ArgumentException.ThrowIfNullOrEmpty(nodeName);
        string name = victim.Metadata.Name;
        string ns = victim.Metadata.NamespaceProperty;
        try
        {
            if (victim.Status?.Conditions?.FirstOrDefault(c => c.Type == "DisruptionTarget") is not { Status: "True", Reason: "PreemptionByScheduler" })
            {
                string scheduler = SchedulerOf(preemptor);
                var condition = new JsonObject
                {
                    ["type"] = "DisruptionTarget",
                    ["status"] = "True",
                    ["reason"] = "PreemptionByScheduler",
                    ["message"] = $"{scheduler}: preempting to accommodate a higher priority pod",
                    ["lastProbeTime"] = null,
                    ["lastTransitionTime"] = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                };
                var patch = new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) } };
                await _client.CoreV1.PatchNamespacedPodStatusAsync(
                    new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = victim.Metadata.Uid } };
            await _client.CoreV1.DeleteNamespacedPodAsync(name, ns, options, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException exception) when (exception.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            return;
        }

        EventsFor(preemptor).Record(victim, EventTypes.Normal, "Preempted", $"Preempted by pod {preemptor.Metadata.Uid} on node {nodeName}");
    }

    /// <summary>Sets (or, with an empty name, removes) status.nominatedNodeName with a merge patch on <c>pods/status</c>.</summary>
    public async Task SetNominatedNodeNameAsync(V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(nodeName);
        var patch = new JsonObject { ["status"] = new JsonObject { ["nominatedNodeName"] = nodeName.Length == 0 ? null : nodeName } };
        await _client.CoreV1.PatchNamespacedPodStatusAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
