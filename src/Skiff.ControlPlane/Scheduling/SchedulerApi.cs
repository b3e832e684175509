using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.ControlPlane.Events;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// The scheduler's writes, as kube-scheduler makes them: the binding (step 3 of the pod-creation flow, through
/// <c>pods/binding</c>), and on failure the FailedScheduling Warning event plus the PodScheduled=False condition that
/// <c>kubectl describe pod</c> and <c>kubectl get pod</c> show.
/// </summary>
public sealed class SchedulerApi
{
    public const string DefaultSchedulerName = "default-scheduler";

    private readonly IKubernetes _client;
    private readonly IEventRecorder _events;
    private readonly TimeProvider _timeProvider;

    public SchedulerApi(IKubernetes client, IEventRecorder events, TimeProvider timeProvider, string schedulerName = DefaultSchedulerName)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _client = client;
        _events = events.ForComponent(schedulerName);
        _timeProvider = timeProvider;
    }

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
        _events.Record(pod, EventTypes.Normal, "Scheduled", $"Successfully assigned {pod.Metadata.NamespaceProperty}/{pod.Metadata.Name} to {nodeName}");
    }

    /// <summary>
    /// Reports that no node fits: the Warning event and, through <c>pods/status</c>, PodScheduled=False with reason
    /// Unschedulable and the same message (written only when it changed, as upstream avoids status churn).
    /// </summary>
    public async Task ReportUnschedulableAsync(V1Pod pod, string message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentException.ThrowIfNullOrEmpty(message);
        _events.Record(pod, EventTypes.Warning, "FailedScheduling", message);
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
}
