using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>
/// Filter: the pod's hostPorts must be free on the node. A port bound on 0.0.0.0 conflicts with the same protocol and port
/// on any address; a port on a specific address conflicts with that address and with 0.0.0.0. TCP and UDP are distinct.
/// </summary>
public sealed class NodePorts : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "NodePorts";

    public const string ErrReason = "node(s) didn't have free ports for the requested pod ports";

    private const string WildcardIp = "0.0.0.0";

    private const string PreFilterKey = "PreFilter" + PluginName;

    public string Name => PluginName;

    /// <summary>Collects the pod's hostPorts once; a pod without any skips the Filter.</summary>
    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        List<(string Protocol, string HostIp, int Port)> ports = [.. NodeInfo.HostPorts(pod)];
        if (ports.Count == 0)
        {
            return PluginStatus.Skip(PluginName);
        }

        state.Write(PreFilterKey, ports);
        return PluginStatus.Success;
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        IEnumerable<(string Protocol, string HostIp, int Port)> wanted =
            state.Read<List<(string Protocol, string HostIp, int Port)>>(PreFilterKey) ?? NodeInfo.HostPorts(pod);
        foreach ((string protocol, string hostIp, int port) in wanted)
        {
            if (Conflicts(node.UsedPorts, protocol, hostIp, port))
            {
                return PluginStatus.Unschedulable(PluginName, ErrReason);
            }
        }

        return PluginStatus.Success;
    }

    private static bool Conflicts(HashSet<(string Protocol, string HostIp, int Port)> used, string protocol, string hostIp, int port)
    {
        if (hostIp == WildcardIp)
        {
            foreach ((string usedProtocol, string _, int usedPort) in used)
            {
                if (usedPort == port && usedProtocol == protocol)
                {
                    return true;
                }
            }

            return false;
        }

        return used.Contains((protocol, WildcardIp, port)) || used.Contains((protocol, hostIp, port));
    }
}
