using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

/// <summary>Builds nodes, pods and NodeInfos for plugin tests.</summary>
internal static class Make
{
    public static V1Node Node(string name, string cpu = "4", string memory = "8Gi", int pods = 110, params (string Name, string Value)[] extra)
    {
        var allocatable = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(cpu),
            ["memory"] = new(memory),
            ["pods"] = new(pods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        foreach ((string key, string value) in extra)
        {
            allocatable[key] = new ResourceQuantity(value);
        }

        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string>() },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus { Allocatable = allocatable },
        };
    }

    public static NodeInfo Info(V1Node node, params V1Pod[] pods)
    {
        var info = new NodeInfo(node);
        foreach (V1Pod pod in pods)
        {
            info.AddPod(pod);
        }

        return info;
    }

    public static V1Pod Pod(string name, params (string Name, string Value)[] requests) => Pod(name, [Container("c", requests)]);

    public static V1Pod Pod(string name, IList<V1Container> containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new V1PodSpec { Containers = containers },
    };

    public static V1Container Container(string name, params (string Name, string Value)[] requests) => new()
    {
        Name = name,
        Image = "app",
        Resources = requests.Length == 0
            ? null
            : new V1ResourceRequirements { Requests = requests.ToDictionary(r => r.Name, r => new ResourceQuantity(r.Value)) },
    };

    public static V1Taint Taint(string key, string? value, string effect) => new() { Key = key, Value = value, Effect = effect };

    public static V1Toleration Toleration(string? key, string? op, string? value = null, string? effect = null) =>
        new() { Key = key, OperatorProperty = op, Value = value, Effect = effect };
}

/// <summary>An <see cref="IClusterSnapshot"/> over a fixed list of nodes.</summary>
internal sealed class FakeSnapshot(params NodeInfo[] nodes) : IClusterSnapshot
{
    public IReadOnlyList<NodeInfo> Nodes { get; } = nodes;

    public IReadOnlyList<NodeInfo> NodesWithPodAffinity => [.. Nodes.Where(n => n.PodsWithAffinity.Any())];

    public NodeInfo? Find(string nodeName) => Nodes.FirstOrDefault(n => n.Name == nodeName);
}
