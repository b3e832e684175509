using System.Globalization;
using k8s.Models;

namespace Skiff.Bench.Scheduler;

/// <summary>
/// The node and pod shapes of upstream's scheduler_perf templates (test/integration/scheduler_perf/config): node-default (4 cpu,
/// 32Gi, 110 pods), pod-default (one pause container, port 80, 100m cpu and 500Mi memory requested and limited), the same pod with
/// a required node affinity to zone1 or zone2, and with a required anti-affinity to color=green per hostname.
/// </summary>
internal static class Workloads
{
    public const string ZoneLabel = "topology.kubernetes.io/zone";
    public const string HostnameLabel = "kubernetes.io/hostname";

    public static V1Node Node(int index, bool zoned)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"node-{index:D5}");
        var labels = new Dictionary<string, string> { [HostnameLabel] = name };
        if (zoned)
        {
            // labelNodePrepareStrategy: every node in zone1.
            labels[ZoneLabel] = "zone1";
        }

        var capacity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new("4"),
            ["memory"] = new("32Gi"),
            ["pods"] = new("110"),
        };
        return new V1Node
        {
            Metadata = new V1ObjectMeta { Name = name, Uid = "uid-" + name, Labels = labels },
            Spec = new V1NodeSpec(),
            Status = new V1NodeStatus { Capacity = capacity, Allocatable = capacity },
        };
    }

    public static V1Pod Pod(PodShape shape, string ns, int index)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"pod-{index:D6}");
        var resources = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = new("500Mi") };
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Uid = string.Create(CultureInfo.InvariantCulture, $"{ns}-{index:D6}"),
                Labels = shape == PodShape.AntiAffinity ? new Dictionary<string, string> { ["color"] = "green" } : null,
            },
            Spec = new V1PodSpec
            {
                SchedulerName = "default-scheduler",
                Containers =
                [
                    new V1Container
                    {
                        Name = "pause",
                        Image = "registry.k8s.io/pause:3.10",
                        Ports = [new V1ContainerPort { ContainerPort = 80 }],
                        Resources = new V1ResourceRequirements { Requests = resources, Limits = resources },
                    },
                ],
                Affinity = shape switch
                {
                    PodShape.NodeAffinity => new V1Affinity
                    {
                        NodeAffinity = new V1NodeAffinity
                        {
                            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
                            {
                                NodeSelectorTerms =
                                [
                                    new V1NodeSelectorTerm
                                    {
                                        MatchExpressions = [new V1NodeSelectorRequirement { Key = ZoneLabel, OperatorProperty = "In", Values = ["zone1", "zone2"] }],
                                    },
                                ],
                            },
                        },
                    },
                    PodShape.AntiAffinity => new V1Affinity
                    {
                        PodAntiAffinity = new V1PodAntiAffinity
                        {
                            RequiredDuringSchedulingIgnoredDuringExecution =
                            [
                                new V1PodAffinityTerm
                                {
                                    LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["color"] = "green" } },
                                    TopologyKey = HostnameLabel,
                                    Namespaces = ["sched-0", "sched-1"],
                                },
                            ],
                        },
                    },
                    _ => null,
                },
            },
            Status = new V1PodStatus { Phase = "Pending" },
        };
        return pod;
    }
}

internal enum PodShape
{
    Default,
    NodeAffinity,
    AntiAffinity,
}

/// <summary>One in-process case: upstream's workload name, its node count, the pods scheduled first (untimed) and the measured pods.</summary>
internal sealed record InProcessCase(string Name, PodShape Shape, int Nodes, int InitPods, int MeasurePods, double TargetPodsPerSecond, string InitNamespace, string MeasureNamespace);
