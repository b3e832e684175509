using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Filter: a cordoned node (spec.unschedulable) takes only pods that tolerate the node.kubernetes.io/unschedulable
/// NoSchedule taint (DaemonSet pods carry that toleration).
/// </summary>
public sealed class NodeUnschedulable : IFilterPlugin
{
    public const string PluginName = "NodeUnschedulable";

    public const string ErrReasonUnschedulable = "node(s) were unschedulable";

    private static readonly V1Taint s_unschedulableTaint = new() { Key = "node.kubernetes.io/unschedulable", Effect = "NoSchedule" };

    public string Name => PluginName;

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Node.Spec?.Unschedulable != true || Tolerations.AnyTolerates(pod.Spec?.Tolerations, s_unschedulableTaint))
        {
            return PluginStatus.Success;
        }

        return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonUnschedulable);
    }
}
