using System.Text.Json;
using k8s.Models;
using Skiff.ControlPlane.Controllers.History;
using Skiff.Machinery.Json;

namespace Skiff.ControlPlane.Tests.Controllers.History;

public sealed class ControllerHistoryTests
{
    private static readonly V1OwnerReference s_owner = new() { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = "web", Uid = "sts-uid", Controller = true };
    private static readonly V1ObjectMeta s_ownerMeta = new() { Name = "web", NamespaceProperty = "default", Uid = "sts-uid" };

    [Fact]
    public void PatchFor_Template_IsTheReplacePatchKubectlUndoSends()
    {
        using JsonDocument patch = JsonDocument.Parse(ControllerHistory.PatchFor(Models.Template()));

        JsonElement template = patch.RootElement.GetProperty("spec").GetProperty("template");
        Assert.Equal("replace", template.GetProperty("$patch").GetString());
        Assert.Equal("nginx:1", template.GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString());
        Assert.Single(patch.RootElement.EnumerateObject());
    }

    [Fact]
    public void PatchFor_SameTemplateWithLabelsInAnotherOrder_GivesTheSameBytesAndHash()
    {
        V1PodTemplateSpec a = Models.Template(labels: new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" });
        V1PodTemplateSpec b = Models.Template(labels: new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" });

        Assert.Equal(ControllerHistory.PatchFor(a), ControllerHistory.PatchFor(b));
        Assert.Equal(ControllerHistory.Hash(ControllerHistory.PatchFor(a), 0), ControllerHistory.Hash(ControllerHistory.PatchFor(b), 0));
        Assert.NotEqual(ControllerHistory.PatchFor(a), ControllerHistory.PatchFor(Models.Template("nginx:2")));
    }

    [Fact]
    public void Hash_CollisionCountChanges_GivesANewName()
    {
        string data = ControllerHistory.PatchFor(Models.Template());

        Assert.NotEqual(ControllerHistory.Hash(data, 0), ControllerHistory.Hash(data, 1));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]+$", ControllerHistory.Hash(data, 0));
    }

    [Fact]
    public void New_Template_IsNamedAfterItsHashLabelledAndOwned()
    {
        V1ControllerRevision revision = ControllerHistory.New(s_owner, s_ownerMeta, Models.Template(), 3, null, ControllerHistory.HashLabel);

        string hash = revision.Metadata.Labels[ControllerHistory.HashLabel];
        Assert.Equal("web-" + hash, revision.Metadata.Name);
        Assert.Equal("web", revision.Metadata.Labels["app"]);
        Assert.Equal(3, revision.Revision);
        Assert.Equal("sts-uid", Assert.Single(revision.Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public void TemplateOf_RevisionReadBackFromJson_IsTheOriginalTemplate()
    {
        V1ControllerRevision revision = ControllerHistory.New(s_owner, s_ownerMeta, Models.Template("nginx:9"), 1, null, ControllerHistory.HashLabel);
        V1ControllerRevision roundTripped = SkiffJson.FromBytes<V1ControllerRevision>(SkiffJson.ToBytes(revision))!;

        V1PodTemplateSpec? template = ControllerHistory.TemplateOf(roundTripped);

        Assert.Equal("nginx:9", template?.Spec.Containers[0].Image);
        Assert.True(ControllerHistory.SameData(revision, roundTripped));
    }

    [Fact]
    public void ToCleanUp_MoreUnusedRevisionsThanTheLimit_DeletesTheOldestUnused()
    {
        List<V1ControllerRevision> revisions = [.. Enumerable.Range(1, 5).Select(i => new V1ControllerRevision { Metadata = new V1ObjectMeta { Name = "r" + i }, Revision = i })];

        List<V1ControllerRevision> victims = ControllerHistory.ToCleanUp(revisions, new HashSet<string> { "r1", "r5" }, limit: 1);

        Assert.Equal(["r2", "r3"], victims.Select(r => r.Metadata.Name));
    }
}
