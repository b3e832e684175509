using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Tests.Controllers.ReplicaSet;

public sealed class ReplicaSetSyncTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);

    [Fact]
    public void ClaimPods_OwnedOrphanAndForeign_SplitsOwnedAndAdoptable()
    {
        V1ReplicaSet rs = Models.ReplicaSet("rs", 3);
        V1Pod owned = Models.Pod("a");
        V1Pod orphan = Models.Pod("b", ownerUid: null);
        V1Pod foreign = Models.Pod("c", ownerUid: "other");
        V1Pod unmatched = Models.Pod("d", ownerUid: null);
        unmatched.Metadata.Labels["app"] = "db";

        (List<V1Pod> ownedPods, List<V1Pod> orphans) = ReplicaSetSync.ClaimPods(rs, [owned, orphan, foreign, unmatched]);

        Assert.Equal(["a"], ownedPods.Select(p => p.Metadata.Name));
        Assert.Equal(["b"], orphans.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void Diff_FewerActivePodsThanReplicas_CreatesTheDifference()
    {
        V1Pod terminating = Models.Pod("t");
        terminating.Metadata.DeletionTimestamp = DateTime.UtcNow;
        V1Pod failed = Models.Pod("f");
        failed.Status.Phase = "Failed";
        List<V1Pod> active = [.. new[] { Models.Pod("a"), terminating, failed }.Where(PodControl.IsActive)];

        Assert.Equal(2, ReplicaSetSync.Diff(Models.ReplicaSet("rs", 3), active));
        Assert.Equal(-1, ReplicaSetSync.Diff(Models.ReplicaSet("rs", 0), active));
    }

    [Fact]
    public void PodsToDelete_MixedPods_PrefersUnscheduledThenNotReadyThenNewest()
    {
        var old = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        V1Pod readyOld = Models.Pod("ready-old", ready: true, node: "n1", created: old);
        V1Pod readyNew = Models.Pod("ready-new", ready: true, node: "n1", created: old.AddMinutes(1));
        V1Pod notReady = Models.Pod("not-ready", node: "n1");
        V1Pod unscheduled = Models.Pod("unscheduled");

        List<V1Pod> victims = ReplicaSetSync.PodsToDelete([readyOld, readyNew, notReady, unscheduled], 3);

        Assert.Equal(["unscheduled", "not-ready", "ready-new"], victims.Select(p => p.Metadata.Name));
    }

    [Fact]
    public void NewPod_FromTemplate_GenerateNameLabelsAndControllerReference()
    {
        V1ReplicaSet rs = Models.ReplicaSet("web-abc", 1);

        V1Pod pod = ReplicaSetSync.NewPod(rs);

        Assert.Equal("web-abc-", pod.Metadata.GenerateName);
        Assert.Equal("web", pod.Metadata.Labels["app"]);
        V1OwnerReference owner = Assert.Single(pod.Metadata.OwnerReferences);
        Assert.Equal(("ReplicaSet", "web-abc", "rs-uid", true, true), (owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        Assert.NotSame(rs.Spec.Template.Spec, pod.Spec);
    }

    [Fact]
    public void ComputeStatus_MinReadySeconds_CountsOnlyPodsReadyLongEnoughAsAvailable()
    {
        V1ReplicaSet rs = Models.ReplicaSet("rs", 3, generation: 4);
        rs.Spec.MinReadySeconds = 30;
        V1Pod longReady = Models.Pod("a", ready: true, readySince: s_now.UtcDateTime.AddMinutes(-1));
        V1Pod justReady = Models.Pod("b", ready: true, readySince: s_now.UtcDateTime.AddSeconds(-5));
        V1Pod notReady = Models.Pod("c");
        notReady.Metadata.Labels.Clear();

        V1ReplicaSetStatus status = ReplicaSetSync.ComputeStatus(rs, [longReady, justReady, notReady], s_now);

        Assert.Equal((3, 2, 2, 1, 4L), (status.Replicas, status.FullyLabeledReplicas, status.ReadyReplicas, status.AvailableReplicas, status.ObservedGeneration));
        Assert.Equal(TimeSpan.FromSeconds(1), ReplicaSetSync.NextAvailabilityCheck(rs, [justReady], s_now));
    }

    [Fact]
    public void Expectations_PendingCreates_UnsatisfiedUntilObservedOrExpired()
    {
        var time = new FakeTimeProvider(s_now);
        var expectations = new ControllerExpectations(time);
        Assert.True(expectations.IsSatisfied("default/rs"));

        expectations.ExpectCreations("default/rs", 2);
        expectations.CreationObserved("default/rs");
        Assert.False(expectations.IsSatisfied("default/rs"));
        expectations.CreationObserved("default/rs");
        Assert.True(expectations.IsSatisfied("default/rs"));

        expectations.ExpectDeletions("default/rs", ["default/a", "default/b"]);
        expectations.DeletionObserved("default/rs", "default/a");
        expectations.DeletionObserved("default/rs", "default/a");
        Assert.False(expectations.IsSatisfied("default/rs"));
        time.Advance(ControllerExpectations.Timeout + TimeSpan.FromSeconds(1));
        Assert.True(expectations.IsSatisfied("default/rs"));
    }
}
