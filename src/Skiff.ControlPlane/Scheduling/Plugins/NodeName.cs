using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>Filter: a pod that already names a node (spec.nodeName) fits only that node.</summary>
public sealed class NodeName : IFilterPlugin
{
    public const string PluginName = "NodeName";

    public const string ErrReason = "node(s) didn't match the requested node name";

    public string Name => PluginName;

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        string? wanted = pod.Spec?.NodeName;
        return string.IsNullOrEmpty(wanted) || wanted == node.Name
            ? PluginStatus.Success
            : PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReason);
    }
}
