using k8s.Models;
using Skiff.ControlPlane.Controllers.Deployment;

namespace Skiff.ControlPlane.Tests.Controllers.Deployment;

public sealed class DeploymentSyncTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 10, 0, TimeSpan.Zero);

    [Fact]
    public void PodTemplateHash_LabelOrderTimestampAndHashLabel_DoNotChangeIt()
    {
        V1PodTemplateSpec a = Models.Template(labels: new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" });
        V1PodTemplateSpec b = Models.Template(labels: new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web", [PodTemplateHash.Label] = "xyz" });
        b.Metadata.CreationTimestamp = null;

        string hash = PodTemplateHash.Compute(a);

        Assert.Equal(hash, PodTemplateHash.Compute(b));
        Assert.NotEqual(hash, PodTemplateHash.Compute(Models.Template(image: "nginx:2", labels: new Dictionary<string, string>(a.Metadata.Labels))));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]{1,10}$", hash);
    }

    [Fact]
    public void NewReplicaSet_Deployment_HashInNameSelectorAndTemplateWithRevisionAndOwner()
    {
        V1Deployment deployment = Models.Deployment();
        string hash = PodTemplateHash.Compute(deployment.Spec.Template);

        V1ReplicaSet rs = DeploymentSync.NewReplicaSet(deployment, revision: 3, replicas: 1);

        Assert.Equal("web-" + hash, rs.Metadata.Name);
        Assert.Equal(hash, rs.Spec.Selector.MatchLabels[PodTemplateHash.Label]);
        Assert.Equal(hash, rs.Spec.Template.Metadata.Labels[PodTemplateHash.Label]);
        Assert.Equal("3", rs.Metadata.Annotations[DeploymentSync.RevisionAnnotation]);
        Assert.Equal(3, DeploymentSync.Revision(rs));
        Assert.Equal(("Deployment", "dep-uid", true), (rs.Metadata.OwnerReferences[0].Kind, rs.Metadata.OwnerReferences[0].Uid, rs.Metadata.OwnerReferences[0].Controller));
        Assert.False(deployment.Spec.Template.Metadata.Labels.ContainsKey(PodTemplateHash.Label));
        Assert.Same(rs, DeploymentSync.FindNewReplicaSet(deployment, [DeploymentSync.NewReplicaSet(Models.Deployment(image: "old"), 1, 0), rs]) is { } found && found.Metadata.Name == rs.Metadata.Name ? rs : null);
    }

    [Theory]
    [InlineData(10, null, null, 3, 2)]
    [InlineData(3, null, null, 1, 0)]
    [InlineData(4, "0", "0", 0, 1)]
    [InlineData(5, "2", "40%", 2, 2)]
    public void Fenceposts_Strategy_ResolvesSurgeUpAndUnavailableDown(int replicas, string? surge, string? unavailable, int expectedSurge, int expectedUnavailable)
    {
        Assert.Equal((expectedSurge, expectedUnavailable), DeploymentSync.Fenceposts(Models.Deployment(replicas, maxSurge: surge, maxUnavailable: unavailable)));
    }

    [Fact]
    public void NewReplicaSetReplicas_RollingUpdate_GrowsWithinSurge()
    {
        V1Deployment deployment = Models.Deployment(replicas: 3, maxSurge: "1", maxUnavailable: "0");
        V1ReplicaSet old = Models.ReplicaSet("old", 3).WithStatus(3, 3);
        V1ReplicaSet fresh = Models.ReplicaSet("new", 0);

        Assert.Equal(1, DeploymentSync.NewReplicaSetReplicas(deployment, [old, fresh], fresh));
        fresh.Spec.Replicas = 1;
        Assert.Equal(1, DeploymentSync.NewReplicaSetReplicas(deployment, [old, fresh], fresh));
        old.Spec.Replicas = 2;
        Assert.Equal(2, DeploymentSync.NewReplicaSetReplicas(deployment, [old, fresh], fresh));
    }

    [Fact]
    public void ScaleDownOldReplicaSets_NewPodsNotAvailable_KeepsMinimumAvailable()
    {
        V1Deployment deployment = Models.Deployment(replicas: 3, maxSurge: "1", maxUnavailable: "0");
        V1ReplicaSet old = Models.ReplicaSet("old", 3).WithStatus(3, 3);
        V1ReplicaSet fresh = Models.ReplicaSet("new", 1).WithStatus(1, 0);

        Assert.Equal(3, DeploymentSync.ScaleDownOldReplicaSets(deployment, [old], fresh)["old"]);

        fresh.WithStatus(1, 1);
        Assert.Equal(2, DeploymentSync.ScaleDownOldReplicaSets(deployment, [old], fresh)["old"]);
    }

    [Fact]
    public void ScaleDownOldReplicaSets_UnavailableOldPods_ShedFirst()
    {
        V1Deployment deployment = Models.Deployment(replicas: 3, maxSurge: "1", maxUnavailable: "0");
        V1ReplicaSet old = Models.ReplicaSet("old", 3).WithStatus(3, 1);
        V1ReplicaSet fresh = Models.ReplicaSet("new", 1).WithStatus(1, 1);

        // 4 pods and minAvailable 3 allow one pod less in total (upstream's maxScaledDown); an unavailable old pod is that one,
        // and no available pod goes, because only 2 are available.
        Assert.Equal(2, DeploymentSync.ScaleDownOldReplicaSets(deployment, [old], fresh)["old"]);
    }

    [Fact]
    public void ReplicaSetsToCleanUp_BeyondHistoryLimit_OldestZeroReplicaSetsGo()
    {
        V1Deployment deployment = Models.Deployment();
        deployment.Spec.RevisionHistoryLimit = 1;
        List<V1ReplicaSet> old = [.. Enumerable.Range(1, 3).Select(i =>
        {
            V1ReplicaSet rs = Models.ReplicaSet("r" + i, 0).WithStatus(0, 0);
            rs.Metadata.Annotations = new Dictionary<string, string> { [DeploymentSync.RevisionAnnotation] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            return rs;
        })];
        old[2].Spec.Replicas = 1;

        Assert.Equal(["r1"], DeploymentSync.ReplicaSetsToCleanUp(deployment, old).Select(rs => rs.Metadata.Name));
    }

    [Fact]
    public void ComputeStatus_AllUpdatedAndAvailable_CompleteWithUpstreamReasons()
    {
        V1Deployment deployment = Models.Deployment(replicas: 3, generation: 2);
        V1ReplicaSet fresh = Models.ReplicaSet("web-new", 3).WithStatus(3, 3);

        V1DeploymentStatus status = DeploymentStatusCalculator.Compute(deployment, [fresh], fresh, s_now);

        Assert.Equal((2L, 3, 3, 3, 0), (status.ObservedGeneration, status.Replicas, status.UpdatedReplicas, status.AvailableReplicas, status.UnavailableReplicas));
        Assert.Equal("MinimumReplicasAvailable", DeploymentStatusCalculator.Find(status, "Available")?.Reason);
        Assert.Equal("NewReplicaSetAvailable", DeploymentStatusCalculator.Find(status, "Progressing")?.Reason);
        Assert.True(DeploymentStatusCalculator.IsComplete(deployment, status));
    }

    [Fact]
    public void ComputeStatus_OldPodsRemain_ProgressingReplicaSetUpdatedAndDeadlineExceededLater()
    {
        V1Deployment deployment = Models.Deployment(replicas: 3);
        V1ReplicaSet old = Models.ReplicaSet("web-old", 2).WithStatus(2, 2);
        V1ReplicaSet fresh = Models.ReplicaSet("web-new", 2).WithStatus(2, 0);

        V1DeploymentStatus status = DeploymentStatusCalculator.Compute(deployment, [old, fresh], fresh, s_now);
        Assert.Equal("ReplicaSetUpdated", DeploymentStatusCalculator.Find(status, "Progressing")?.Reason);
        Assert.False(DeploymentStatusCalculator.IsComplete(deployment, status));

        deployment.Status = status;
        V1DeploymentStatus later = DeploymentStatusCalculator.Compute(deployment, [old, fresh], fresh, s_now.AddSeconds(601));
        V1DeploymentCondition? progressing = DeploymentStatusCalculator.Find(later, "Progressing");
        Assert.Equal(("False", "ProgressDeadlineExceeded"), (progressing?.Status, progressing?.Reason));
    }
}
