using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Scheduling.Cache;
using Skiff.ControlPlane.Scheduling.Framework;
using Skiff.ControlPlane.Scheduling.Plugins;
using static Skiff.ControlPlane.Tests.Scheduling.Fakes.SchedulingObjects;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>
/// The bookkeeping that keeps a scheduling cycle's cost independent of the cluster's history: running sums on NodeInfo, the
/// cache's per-image node counts and the assumed-pod expiry that no longer scans every assumed pod in every snapshot.
/// </summary>
public sealed class SchedulerHotPathTests
{
    private const long Mb = 1024 * 1024;
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void NodeInfo_SumsFollowAddAndRemove_AsIfRecountedFromThePods()
    {
        var info = new NodeInfo(Node("n1"));
        V1Pod small = Pod("small", cpu: "250m");
        V1Pod bestEffort = Pod("best-effort");
        V1Pod withAntiAffinity = Pod("anti", cpu: "1");
        withAntiAffinity.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname", LabelSelector = new V1LabelSelector() }],
            },
        };

        info.AddPod(small);
        info.AddPod(bestEffort);
        info.AddPod(withAntiAffinity);
        (long cpu, long memory) all = info.NonZeroRequested;
        bool hadAffinity = info.HasPodsWithAffinity;
        info.RemovePod(withAntiAffinity);
        info.RemovePod(bestEffort);

        // Non-zero: the best-effort pod counts as 100m and 200Mi; the others ask for no memory, so 200Mi each too.
        Assert.Equal((250 + 100 + 1000, 3 * 200 * Mb), all);
        Assert.True(hadAffinity);
        Assert.False(info.HasPodsWithAffinity);
        Assert.Empty(info.PodsWithAffinity);
        Assert.Equal((250L, 200 * Mb), info.NonZeroRequested);
        Assert.Equal(NonZeroRequests.OfNode(info), info.NonZeroRequested);
        Assert.Equal(250, info.Requested.MilliCpu);
        Assert.Equal(1, info.Requested.Pods);
    }

    [Fact]
    public void ImageLocality_OnCacheSnapshots_FollowsNodeImageChanges()
    {
        var cache = new SchedulerCache(_time);
        cache.AddNode(WithImages("a", "nginx:1.25"));
        cache.AddNode(WithImages("b"));
        cache.AddNode(WithImages("c"));
        V1Pod pod = new() { Metadata = new V1ObjectMeta { Name = "p", Uid = "p" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx:1.25" }] } };

        long[] before = Scores(pod, cache.UpdateSnapshot());
        cache.UpdateNode(WithImages("b", "nginx:1.25"));
        cache.AssumePod(BoundPod("other", "c"), "c");
        long[] onTwoNodes = Scores(pod, cache.UpdateSnapshot());
        cache.RemoveNode(WithImages("a"));
        cache.RemoveNode(WithImages("c"));
        long[] onlyB = Scores(pod, cache.UpdateSnapshot());

        // 500 MiB × 1/3 → 14; × 2/3 → 31; on the only node left, in full → 48 (the plugin's own tests give the arithmetic).
        Assert.Equal([14, 0, 0], before);
        Assert.Equal([31, 31, 0], onTwoNodes);
        Assert.Equal([48], onlyB);
    }

    [Fact]
    public void AssumedPods_EachExpiresFifteenMinutesAfterItsOwnBind()
    {
        var cache = new SchedulerCache(_time);
        cache.AddNode(Node("n1"));
        V1Pod first = BoundPod("first", "n1");
        V1Pod second = BoundPod("second", "n1");
        cache.AssumePod(first, "n1");
        cache.FinishBinding(first);
        _time.Advance(TimeSpan.FromMinutes(10));
        cache.AssumePod(second, "n1");
        cache.FinishBinding(second);

        _time.Advance(TimeSpan.FromMinutes(5));
        IReadOnlyList<V1Pod> afterFifteen = cache.UpdateSnapshot().Find("n1")!.Pods;
        _time.Advance(TimeSpan.FromMinutes(9));
        IReadOnlyList<V1Pod> afterTwentyFour = cache.UpdateSnapshot().Find("n1")!.Pods;
        _time.Advance(TimeSpan.FromMinutes(1));
        IReadOnlyList<V1Pod> afterTwentyFive = cache.UpdateSnapshot().Find("n1")!.Pods;

        Assert.Equal(["second"], afterFifteen.Select(p => p.Metadata.Name));
        Assert.Equal(["second"], afterTwentyFour.Select(p => p.Metadata.Name));
        Assert.Empty(afterTwentyFive);
    }

    [Fact]
    public void CycleState_ReadsByValueOfTheKey_AndWriteReplaces()
    {
        var state = new CycleState();
        string built = string.Concat("Pre", "Filter");

        state.Write(built, "first");
        state.Write("PreFilter", "second");
        state.Write("Other", "third");

        Assert.Equal("second", state.Read<string>("PreFilter"));
        Assert.Equal("third", state.Read<string>(string.Concat("Oth", "er")));
        Assert.Null(state.Read<string>("Missing"));
    }

    private static long[] Scores(V1Pod pod, ClusterSnapshot snapshot)
    {
        var plugin = new ImageLocality();
        var state = new CycleState();
        Assert.True(plugin.PreScore(state, pod, snapshot.Nodes, snapshot).IsSuccess);
        return [.. snapshot.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => plugin.Score(state, pod, n))];
    }

    private static V1Node WithImages(string name, params string[] images)
    {
        V1Node node = Node(name);
        node.Status.Images = [.. images.Select(i => new V1ContainerImage { Names = [i], SizeBytes = 500 * Mb })];
        return node;
    }
}
