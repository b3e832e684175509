using System.Text.Json;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Tests.Controllers.ReplicaSet;

public sealed class ControllerRefManagerTests
{
    [Fact]
    public void ToRelease_OwnedPodRelabelled_IsReleasedUnlessTheOwnerIsBeingDeleted()
    {
        V1ReplicaSet rs = Models.ReplicaSet("rs", 2);
        V1Pod kept = Models.Pod("kept");
        V1Pod relabelled = Models.Pod("relabelled");
        relabelled.Metadata.Labels["app"] = "debug";

        Assert.Equal(["relabelled"], ControllerRefManager.ToRelease(rs.Metadata, rs.Spec.Selector, [kept, relabelled]).Select(p => p.Metadata.Name));

        rs.Metadata.DeletionTimestamp = DateTime.UtcNow;
        Assert.Empty(ControllerRefManager.ToRelease(rs.Metadata, rs.Spec.Selector, [kept, relabelled]));
    }

    [Fact]
    public void ReleasePatch_Owner_DeletesItsReferenceByUidGuardedByThePodsUid()
    {
        V1Patch patch = ControllerRefManager.ReleasePatch(new V1ObjectMeta { Uid = "pod-uid" }, "rs-uid");

        using JsonDocument body = JsonDocument.Parse((string)patch.Content);
        JsonElement meta = body.RootElement.GetProperty("metadata");
        Assert.Equal(V1Patch.PatchType.StrategicMergePatch, patch.Type);
        Assert.Equal("pod-uid", meta.GetProperty("uid").GetString());
        JsonElement reference = Assert.Single(meta.GetProperty("ownerReferences").EnumerateArray());
        Assert.Equal(("delete", "rs-uid"), (reference.GetProperty("$patch").GetString(), reference.GetProperty("uid").GetString()));
    }
}
