using k8s.Models;
using Skiff.ControlPlane.Controllers.StatefulSet;

namespace Skiff.ControlPlane.Tests.Controllers.StatefulSet;

public sealed class StatefulSetSyncTests
{
    private const string Current = "web-aaa";
    private const string Update = "web-bbb";
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_OrderedReadyWithNoPods_CreatesOnlyOrdinalZero()
    {
        StatefulSetStep step = StatefulSetSync.Plan(Set(3), [], Update, 0, s_now);

        Assert.Equal([0], step.Creates);
        Assert.Empty(step.Deletes);
    }

    [Fact]
    public void Plan_OrderedReadyWithPodZeroNotReady_WaitsForIt()
    {
        StatefulSetStep step = StatefulSetSync.Plan(Set(3), [Pod(0, ready: false)], Update, 0, s_now);

        Assert.Empty(step.Creates);
        Assert.Equal("web-0", step.WaitingFor);
    }

    [Fact]
    public void Plan_OrderedReadyWithPodZeroReady_CreatesOrdinalOne()
    {
        StatefulSetStep step = StatefulSetSync.Plan(Set(3), [Pod(0)], Update, 0, s_now);

        Assert.Equal([1], step.Creates);
    }

    [Fact]
    public void Plan_OrderedReadyWithMinReadySeconds_WaitsUntilPodZeroIsAvailable()
    {
        V1StatefulSet set = Set(2);
        set.Spec.MinReadySeconds = 30;
        V1Pod pod = Pod(0, readySince: s_now.UtcDateTime.AddSeconds(-10));

        Assert.Empty(StatefulSetSync.Plan(set, [pod], Update, 30, s_now).Creates);
        Assert.Equal([1], StatefulSetSync.Plan(set, [pod], Update, 30, s_now.AddSeconds(25)).Creates);
    }

    [Fact]
    public void Plan_ParallelWithNoPods_CreatesEveryOrdinalAtOnce()
    {
        V1StatefulSet set = Set(3);
        set.Spec.PodManagementPolicy = "Parallel";

        Assert.Equal([0, 1, 2], StatefulSetSync.Plan(set, [], Update, 0, s_now).Creates);
    }

    [Fact]
    public void Plan_StartOrdinal_CreatesFromThatOrdinal()
    {
        V1StatefulSet set = Set(2);
        set.Spec.Ordinals = new V1StatefulSetOrdinals { Start = 5 };

        Assert.Equal([5], StatefulSetSync.Plan(set, [], Update, 0, s_now).Creates);
    }

    [Fact]
    public void Plan_ScaledDownOrderedReady_DeletesOnlyTheHighestOrdinal()
    {
        List<V1Pod> pods = [Pod(0), Pod(1), Pod(2), Pod(3)];

        StatefulSetStep step = StatefulSetSync.Plan(Set(1), pods, Update, 0, s_now);

        Assert.Equal(["web-3"], step.Deletes.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Plan_ScaledDownWhileHighestIsTerminating_WaitsForIt()
    {
        V1Pod terminating = Pod(2);
        terminating.Metadata.DeletionTimestamp = s_now.UtcDateTime;

        StatefulSetStep step = StatefulSetSync.Plan(Set(1), [Pod(0), Pod(1), terminating], Update, 0, s_now);

        Assert.Empty(step.Deletes);
        Assert.Equal("web-2", step.WaitingFor);
    }

    [Fact]
    public void Plan_ScaledDownWithAnUnhealthyLowerCondemnedPod_DeletesNothing()
    {
        // Only the lowest unhealthy pod may be deleted while unhealthy; web-3 must wait for web-2.
        StatefulSetStep step = StatefulSetSync.Plan(Set(2), [Pod(0), Pod(1), Pod(2, ready: false), Pod(3, ready: false)], Update, 0, s_now);

        Assert.Empty(step.Deletes);
        Assert.Equal("web-2", step.WaitingFor);
    }

    [Fact]
    public void Plan_ScaledDownParallel_DeletesAllSurplusPods()
    {
        V1StatefulSet set = Set(1);
        set.Spec.PodManagementPolicy = "Parallel";

        StatefulSetStep step = StatefulSetSync.Plan(set, [Pod(0, Update), Pod(1, Update), Pod(2, Update)], Update, 0, s_now);

        Assert.Equal(["web-2", "web-1"], step.Deletes.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Plan_FailedPod_IsDeletedSoItCanBeRecreated()
    {
        V1Pod failed = Pod(1);
        failed.Status.Phase = "Failed";

        StatefulSetStep step = StatefulSetSync.Plan(Set(3), [Pod(0), failed], Update, 0, s_now);

        Assert.Equal(["web-1"], step.Deletes.Select(p => p.Metadata.Name));
        Assert.Empty(step.Creates);
    }

    [Fact]
    public void Plan_RollingUpdate_DeletesTheHighestOrdinalNotAtTheUpdateRevision()
    {
        StatefulSetStep step = StatefulSetSync.Plan(Set(3), [Pod(0), Pod(1), Pod(2)], Update, 0, s_now);

        Assert.Equal(["web-2"], step.Deletes.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Plan_RollingUpdateWithUpdatedPodNotReady_WaitsBeforeTheNextOrdinal()
    {
        StatefulSetStep step = StatefulSetSync.Plan(Set(3, podManagement: "Parallel"), [Pod(0), Pod(1), Pod(2, Update, ready: false)], Update, 0, s_now);

        Assert.Empty(step.Deletes);
        Assert.Equal("web-2", step.WaitingFor);
    }

    [Fact]
    public void Plan_RollingUpdateWithPartition_LeavesOrdinalsBelowThePartition()
    {
        V1StatefulSet set = Set(3);
        set.Spec.UpdateStrategy.RollingUpdate.Partition = 2;

        StatefulSetStep step = StatefulSetSync.Plan(set, [Pod(0), Pod(1), Pod(2, Update)], Update, 0, s_now);

        Assert.Empty(step.Deletes);
        Assert.True(StatefulSetSync.UsesCurrentRevision(set, 1));
        Assert.False(StatefulSetSync.UsesCurrentRevision(set, 2));
    }

    [Fact]
    public void Plan_OnDelete_NeverDeletesOutdatedPods()
    {
        V1StatefulSet set = Set(2);
        set.Spec.UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "OnDelete" };

        Assert.Empty(StatefulSetSync.Plan(set, [Pod(0), Pod(1)], Update, 0, s_now).Deletes);
        Assert.False(StatefulSetSync.UsesCurrentRevision(set, 0));
    }

    [Fact]
    public void NewPod_Ordinal_HasStableIdentityAndItsOwnClaim()
    {
        V1StatefulSet set = Set(3);
        set.Spec.VolumeClaimTemplates = [new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = "www" }, Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"] } }];

        V1Pod pod = StatefulSetSync.NewPod(set, set.Spec.Template, 2, Update);

        Assert.Equal("web-2", pod.Metadata.Name);
        Assert.Equal(("web-2", "2", Update, "web"), (pod.Metadata.Labels[StatefulSetSync.PodNameLabel], pod.Metadata.Labels[StatefulSetSync.PodIndexLabel], pod.Metadata.Labels[StatefulSetSync.RevisionLabel], pod.Metadata.Labels["app"]));
        Assert.Equal(("web-2", "nginx"), (pod.Spec.Hostname, pod.Spec.Subdomain));
        V1Volume volume = Assert.Single(pod.Spec.Volumes);
        Assert.Equal(("www", "www-web-2"), (volume.Name, volume.PersistentVolumeClaim.ClaimName));
        V1OwnerReference owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("StatefulSet", "web", true), (owner.Kind, owner.Name, owner.Controller));

        V1PersistentVolumeClaim claim = Assert.Single(StatefulSetSync.NewClaims(set, 2));
        Assert.Equal(("www-web-2", "web"), (claim.Metadata.Name, claim.Metadata.Labels["app"]));
        Assert.Null(claim.Metadata.OwnerReferences);
    }

    [Theory]
    [InlineData("web-0", 0)]
    [InlineData("web-12", 12)]
    [InlineData("web-012", null)]
    [InlineData("web-x", null)]
    [InlineData("web2-1", null)]
    [InlineData("web-", null)]
    public void Ordinal_PodName_ParsesOnlyTheSetsOwnNames(string name, int? expected)
    {
        V1Pod pod = Pod(0);
        pod.Metadata.Name = name;

        Assert.Equal(expected, StatefulSetSync.Ordinal(Set(1), pod));
    }

    [Fact]
    public void ComputeStatus_MixedRevisions_CountsEachAndKeepsTheCurrentRevision()
    {
        V1StatefulSetStatus status = StatefulSetSync.ComputeStatus(Set(3), [Pod(0), Pod(1), Pod(2, Update, ready: false)], Current, Update, null, s_now);

        Assert.Equal((3, 2, 2, 2, 1), (status.Replicas, status.ReadyReplicas, status.AvailableReplicas, status.CurrentReplicas, status.UpdatedReplicas));
        Assert.Equal((Current, Update, 7L), (status.CurrentRevision, status.UpdateRevision, status.ObservedGeneration));
    }

    [Fact]
    public void ComputeStatus_AllPodsUpdatedAndReady_MakesTheUpdateRevisionCurrent()
    {
        V1StatefulSetStatus status = StatefulSetSync.ComputeStatus(Set(2), [Pod(0, Update), Pod(1, Update)], Current, Update, null, s_now);

        Assert.Equal((Update, 2), (status.CurrentRevision, status.CurrentReplicas));
    }

    internal static V1StatefulSet Set(int replicas, string podManagement = "OrderedReady") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "sts-uid", Generation = 7 },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = "nginx",
            PodManagementPolicy = podManagement,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = Models.Template(),
            UpdateStrategy = new V1StatefulSetUpdateStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateStatefulSetStrategy { Partition = 0 } },
        },
    };

    private static V1Pod Pod(int ordinal, string revision = Current, bool ready = true, DateTime? readySince = null)
    {
        V1Pod pod = Models.Pod("web-" + ordinal, ownerUid: "sts-uid", ready: ready, readySince: readySince);
        pod.Metadata.Labels[StatefulSetSync.RevisionLabel] = revision;
        return pod;
    }
}
