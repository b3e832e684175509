using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Tests.Scheduling.Plugins;

public sealed class VolumeBindingTests
{
    private readonly Dictionary<string, V1PersistentVolumeClaim> _claims = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1PersistentVolume> _volumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, V1StorageClass> _classes = new(StringComparer.Ordinal);
    private readonly VolumeBinding _plugin;

    public VolumeBindingTests() => _plugin = new VolumeBinding(new VolumeLookups(
        (ns, name) => _claims.GetValueOrDefault($"{ns}/{name}"),
        name => _volumes.GetValueOrDefault(name),
        name => _classes.GetValueOrDefault(name)));

    [Fact]
    public void PreFilter_PodWithoutClaims_Skips()
    {
        Assert.Equal(StatusCode.Skip, _plugin.PreFilter(new CycleState(), Make.Pod("p"), EmptySnapshot).Code);
    }

    [Fact]
    public void PreFilter_MissingClaim_IsUnresolvableNamingIt()
    {
        PluginStatus status = _plugin.PreFilter(new CycleState(), WithClaim("p", "data"), EmptySnapshot);

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, status.Code);
        Assert.Equal(["persistentvolumeclaim \"data\" not found"], status.Reasons);
    }

    [Fact]
    public void PreFilter_UnboundImmediateClaim_WaitsForTheBinder()
    {
        _classes["fast"] = new V1StorageClass { Metadata = new V1ObjectMeta { Name = "fast" }, Provisioner = "x", VolumeBindingMode = "Immediate" };
        AddClaim("data", storageClass: "fast");

        PluginStatus status = _plugin.PreFilter(new CycleState(), WithClaim("p", "data"), EmptySnapshot);

        Assert.Equal([VolumeBinding.ErrReasonUnboundImmediate], status.Reasons);
    }

    [Fact]
    public void Filter_BoundLocalVolume_OnlyItsNodeFits()
    {
        AddClaim("data", volumeName: "local-pv");
        _volumes["local-pv"] = new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "local-pv" },
            Spec = new V1PersistentVolumeSpec
            {
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms =
                        [
                            new V1NodeSelectorTerm
                            {
                                MatchExpressions = [new V1NodeSelectorRequirement { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = ["n2"] }],
                            },
                        ],
                    },
                },
            },
        };
        var state = new CycleState();
        V1Pod pod = WithClaim("p", "data");

        Assert.True(_plugin.PreFilter(state, pod, EmptySnapshot).IsSuccess);
        PluginStatus other = _plugin.Filter(state, pod, Make.Info(Hostname("n1")));
        PluginStatus own = _plugin.Filter(state, pod, Make.Info(Hostname("n2")));

        Assert.Equal(StatusCode.UnschedulableAndUnresolvable, other.Code);
        Assert.Equal([VolumeBinding.ErrReasonNodeConflict], other.Reasons);
        Assert.True(own.IsSuccess);
    }

    [Fact]
    public void Filter_WaitForFirstConsumerClass_HonoursAllowedTopologies()
    {
        _classes["zonal"] = new V1StorageClass
        {
            Metadata = new V1ObjectMeta { Name = "zonal" },
            Provisioner = "x",
            VolumeBindingMode = "WaitForFirstConsumer",
            AllowedTopologies = [new V1TopologySelectorTerm { MatchLabelExpressions = [new V1TopologySelectorLabelRequirement { Key = "zone", Values = ["a"] }] }],
        };
        AddClaim("data", storageClass: "zonal");
        var state = new CycleState();
        V1Pod pod = WithClaim("p", "data");
        V1Node zoneA = Hostname("n1");
        zoneA.Metadata.Labels["zone"] = "a";

        Assert.True(_plugin.PreFilter(state, pod, EmptySnapshot).IsSuccess);
        Assert.True(_plugin.Filter(state, pod, Make.Info(zoneA)).IsSuccess);
        Assert.Equal([VolumeBinding.ErrReasonBindConflict], _plugin.Filter(state, pod, Make.Info(Hostname("n2"))).Reasons);
    }

    [Fact]
    public void PreFilter_EphemeralVolumeWithoutItsClaim_WaitsForTheController()
    {
        V1Pod pod = Make.Pod("web");
        pod.Spec.Volumes = [new V1Volume { Name = "scratch", Ephemeral = new V1EphemeralVolumeSource() }];

        PluginStatus status = _plugin.PreFilter(new CycleState(), pod, EmptySnapshot);

        Assert.Equal(["waiting for ephemeral volume controller to create the persistentvolumeclaim \"web-scratch\""], status.Reasons);
    }

    private static IClusterSnapshot EmptySnapshot => new Skiff.ControlPlane.Scheduling.Cache.SchedulerCache(TimeProvider.System).UpdateSnapshot();

    private static V1Node Hostname(string name)
    {
        V1Node node = Make.Node(name);
        node.Metadata.Labels["kubernetes.io/hostname"] = name;
        return node;
    }

    private static V1Pod WithClaim(string name, string claim)
    {
        V1Pod pod = Make.Pod(name);
        pod.Spec.Volumes = [new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }];
        return pod;
    }

    private void AddClaim(string name, string? storageClass = null, string? volumeName = null) =>
        _claims[$"default/{name}"] = new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
            Spec = new V1PersistentVolumeClaimSpec { StorageClassName = storageClass, VolumeName = volumeName },
        };
}
