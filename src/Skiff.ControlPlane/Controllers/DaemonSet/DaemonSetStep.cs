using k8s.Models;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

/// <summary>What one DaemonSet sync does: nodes that get a new pod, pods to delete, and failed pods to report.</summary>
internal sealed class DaemonSetStep
{
    public List<string> CreateOn { get; } = [];

    public List<V1Pod> Delete { get; } = [];

    public List<(V1Pod Pod, string Node)> Failed { get; } = [];

    public bool IsEmpty => CreateOn.Count == 0 && Delete.Count == 0;
}
