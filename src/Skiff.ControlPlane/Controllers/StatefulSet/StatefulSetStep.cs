using k8s.Models;

namespace Skiff.ControlPlane.Controllers.StatefulSet;

/// <summary>What one StatefulSet sync does: ordinals to create, pods to delete, and the pod it is waiting on, if any.</summary>
internal sealed class StatefulSetStep
{
    public List<int> Creates { get; } = [];

    public List<V1Pod> Deletes { get; } = [];

    /// <summary>The pod whose readiness or termination holds up the next action (OrderedReady, rolling update).</summary>
    public string? WaitingFor { get; set; }
}
