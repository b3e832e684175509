using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Patching;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>The strategic-merge directives ($patch, $retainKeys, $setElementOrder, $deleteFromPrimitiveList) and malformed patches.</summary>
public sealed class StrategicMergePatchDirectiveTests
{
    private const string Pod = """
        {"metadata":{"name":"p","finalizers":["a","b","c"]},
         "spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"},{"name":"c","image":"z"}],
           "nodeSelector":{"disk":"ssd","zone":"1"}}}
        """;

    private static JsonObject Apply(string original, string patch, Type? type) =>
        StrategicMergePatch.Apply(JsonAssert.Parse(original), JsonAssert.Parse(patch), type);

    private static List<string> Names(JsonObject pod) =>
        [.. pod["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>())];

    [Fact]
    public void Apply_PatchDeleteInKeyedList_RemovesTheMatchingContainer()
    {
        JsonObject result = Apply(Pod, """{"spec":{"containers":[{"$patch":"delete","name":"b"}]}}""", typeof(V1Pod));

        Assert.Equal(["a", "c"], Names(result));
    }

    [Fact]
    public void Apply_KubectlApplyDeletingAContainer_RemovesItAndKeepsOrder()
    {
        string patch = """{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"a"}],"containers":[{"$patch":"delete","name":"b"}]}}""";

        JsonObject result = Apply(Pod, patch, typeof(V1Pod));

        Assert.Equal(["c", "a"], Names(result));
    }

    [Fact]
    public void Apply_PatchReplaceInKeyedList_ReplacesTheWholeList()
    {
        JsonObject result = Apply(Pod, """{"spec":{"containers":[{"name":"d","image":"w"},{"$patch":"replace"}]}}""", typeof(V1Pod));

        JsonAssert.Equal("""[{"name":"d","image":"w"}]""", result["spec"]!["containers"]);
    }

    [Fact]
    public void Apply_PatchReplaceInMap_ReplacesTheWholeMap()
    {
        JsonObject result = Apply(Pod, """{"spec":{"nodeSelector":{"$patch":"replace","disk":"hdd"}}}""", typeof(V1Pod));

        JsonAssert.Equal("""{"disk":"hdd"}""", result["spec"]!["nodeSelector"]);
    }

    [Fact]
    public void Apply_PatchDeleteInMap_EmptiesTheMapAsUpstreamDoes()
    {
        JsonObject result = Apply(Pod, """{"spec":{"nodeSelector":{"$patch":"delete"}}}""", typeof(V1Pod));

        JsonAssert.Equal("{}", result["spec"]!["nodeSelector"]);
    }

    [Fact]
    public void Apply_RetainKeysOnDeploymentStrategy_SwitchingToRecreateDropsRollingUpdate()
    {
        string deployment = """{"spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}""";

        JsonObject result = Apply(deployment, """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""", typeof(V1Deployment));

        JsonAssert.Equal("""{"spec":{"replicas":1,"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void Apply_RetainKeysInVolumeElement_SwitchingSourceDropsTheOldOne()
    {
        string pod = """{"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","configMap":{"name":"c"}}]}}""";
        string patch = """{"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"name":"data","hostPath":{"path":"/d"}}]}}""";

        JsonObject result = Apply(pod, patch, typeof(V1Pod));

        JsonAssert.Equal("""{"spec":{"volumes":[{"name":"data","hostPath":{"path":"/d"}},{"name":"cfg","configMap":{"name":"c"}}]}}""", result);
    }

    [Fact]
    public void Apply_RetainKeysNotListingAPatchedField_Throws400()
    {
        StatusException error = Assert.Throws<StatusException>(() =>
            Apply("""{"spec":{"strategy":{}}}""", """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{}}}}""", typeof(V1Deployment)));

        Assert.Equal(400, error.Code);
    }

    [Fact]
    public void Apply_DeleteFromPrimitiveList_RemovesFinalizers()
    {
        string patch = """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"$setElementOrder/finalizers":["c","a","d"],"finalizers":["d"]}}""";

        JsonObject result = Apply(Pod, patch, typeof(V1Pod));

        JsonAssert.Equal("""["c","a","d"]""", result["metadata"]!["finalizers"]);
    }

    [Theory]
    // "b" is not the applier's (another writer added it): it stays where the live list had it relative to the others.
    [InlineData("""[{"name":"a"},{"name":"c"}]""", new[] { "a", "b", "c" })]
    [InlineData("""[{"name":"c"},{"name":"a"}]""", new[] { "b", "c", "a" })]
    public void Apply_SetElementOrder_OrdersNamedElementsAndKeepsServerOnlyOnesInPlace(string order, string[] expected)
    {
        string patch = """{"spec":{"$setElementOrder/containers":ORDER,"containers":[{"name":"c","image":"z2"}]}}""".Replace("ORDER", order, StringComparison.Ordinal);

        JsonObject result = Apply(Pod, patch, typeof(V1Pod));

        Assert.Equal(expected, Names(result));
        Assert.Equal("z2", result["spec"]!["containers"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "c")!["image"]!.GetValue<string>());
    }

    [Fact]
    public void Apply_SetElementOrderOnUnknownType_OrdersBySingleKeyEntries()
    {
        string original = """{"items":[{"id":1},{"id":2}]}""";

        JsonObject result = Apply(original, """{"$setElementOrder/items":[{"id":2},{"id":1}]}""", null);

        JsonAssert.Equal("""{"items":[{"id":2},{"id":1}]}""", result);
    }

    [Fact]
    public void Apply_DirectivesInNewSubtree_AreResolvedNotStored()
    {
        string patch = """{"spec":{"initContainers":[{"name":"init","image":"i"},{"$patch":"delete","name":"gone"}],"affinity":{"nodeAffinity":null}}}""";

        JsonObject result = Apply("""{"spec":{}}""", patch, typeof(V1Pod));

        JsonAssert.Equal("""{"spec":{"initContainers":[{"name":"init","image":"i"}],"affinity":{}}}""", result);
    }

    [Fact]
    public void Apply_ReplaceStrategyOnPdbSelector_ReplacesInsteadOfMerging()
    {
        string pdb = """{"spec":{"selector":{"matchLabels":{"app":"a","tier":"t"}}}}""";

        JsonObject result = Apply(pdb, """{"spec":{"selector":{"matchLabels":{"app":"b"}}}}""", typeof(V1PodDisruptionBudget));

        JsonAssert.Equal("""{"spec":{"selector":{"matchLabels":{"app":"b"}}}}""", result);
    }

    [Theory]
    [InlineData("""["not","an","object"]""")]
    [InlineData("""{"spec":{"containers":[{"$patch":"explode","name":"a"}]}}""")]
    [InlineData("""{"spec":{"nodeSelector":{"$patch":"explode"}}}""")]
    [InlineData("""{"spec":{"containers":["a"]}}""")]
    [InlineData("""{"spec":{"$setElementOrder/containers":{"name":"a"}}}""")]
    [InlineData("""{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}""")]
    [InlineData("""{"spec":{"strategy":{"$retainKeys":"type"}}}""")]
    [InlineData("""{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],"containers":[{"name":"b","image":"q"},{"name":"a","image":"r"}]}}""")]
    [InlineData("""{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"z","image":"q"}]}}""")]
    public void Apply_MalformedPatch_Throws400(string patch)
    {
        StatusException error = Assert.Throws<StatusException>(() => Apply(Pod, patch, typeof(V1Pod)));

        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
    }

    [Fact]
    public void Apply_KeyedListElementWithoutMergeKey_Throws422NamingTheKey()
    {
        StatusException error = Assert.Throws<StatusException>(() => Apply(Pod, """{"spec":{"containers":[{"image":"nginx"}]}}""", typeof(V1Pod)));

        Assert.Equal(422, error.Code);
        Assert.Contains("spec.containers", error.Message, StringComparison.Ordinal);
        Assert.Contains("merge key: name", error.Message, StringComparison.Ordinal);
    }
}
