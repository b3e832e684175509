using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Patching;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>Strategic merge patch: merging by key, primitive sets, and the patches kubectl really sends.</summary>
public sealed class StrategicMergePatchTests
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web","tier":"front"}},
         "spec":{"replicas":2,"minReadySeconds":5,
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"containers":[
               {"name":"app","image":"nginx:1.26","ports":[{"containerPort":80,"protocol":"TCP"}],
                "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
                "volumeMounts":[{"name":"data","mountPath":"/data"}]},
               {"name":"sidecar","image":"busybox"}]}}}}
        """;

    [Fact]
    public void Apply_ContainerPatchedByName_MergesIntoTheMatchingContainer()
    {
        JsonNode patch = JsonAssert.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}""");

        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), patch, typeof(V1Deployment));

        JsonArray containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        Assert.Equal("nginx:1.26", containers[0]!["image"]!.GetValue<string>());
        Assert.Equal("busybox:1.36", containers[1]!["image"]!.GetValue<string>());
    }

    [Fact]
    public void Apply_NewContainerWithoutOrderDirective_IsPlacedFirstAsUpstreamDoes()
    {
        JsonNode patch = JsonAssert.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"fluentbit"}]}}}}""");

        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), patch, typeof(V1Deployment));

        JsonArray containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        // Upstream puts patch elements the live list does not know before the server-only ones;
        // kubectl apply avoids this by sending $setElementOrder.
        Assert.Equal(["log", "app", "sidecar"], containers.Select(c => c!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Apply_EnvPortsAndMountsPatchedByKey_MergeElementWise()
    {
        JsonNode patch = JsonAssert.Parse("""
            {"spec":{"template":{"spec":{"containers":[{"name":"app",
              "env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],
              "ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],
              "volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}}}}
            """);

        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), patch, typeof(V1Deployment));

        JsonNode app = result["spec"]!["template"]!["spec"]!["containers"]![0]!;
        JsonAssert.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}]""", app["env"]);
        JsonAssert.Equal("""[{"containerPort":80,"protocol":"TCP","name":"http"},{"containerPort":443}]""", app["ports"]);
        JsonAssert.Equal("""[{"name":"data","mountPath":"/data","readOnly":true}]""", app["volumeMounts"]);
    }

    [Fact]
    public void Apply_ListWithoutPatchStrategy_IsReplaced()
    {
        JsonNode original = JsonAssert.Parse("""{"spec":{"containers":[{"name":"app","args":["a","b"],"command":["sh"]}]}}""");
        JsonNode patch = JsonAssert.Parse("""{"spec":{"containers":[{"name":"app","args":["c"]}]}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, typeof(V1Pod));

        JsonAssert.Equal("""{"spec":{"containers":[{"name":"app","args":["c"],"command":["sh"]}]}}""", result);
    }

    [Fact]
    public void Apply_PodConditionsPatchedByType_MergeElementWise()
    {
        JsonNode original = JsonAssert.Parse("""{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}}""");
        JsonNode patch = JsonAssert.Parse("""{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}]}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, typeof(V1Pod));

        JsonAssert.Equal("""{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"},{"type":"PodScheduled","status":"True"}]}}""", result);
    }

    [Fact]
    public void Apply_ServicePortsPatchedByPort_MergeElementWise()
    {
        JsonNode original = JsonAssert.Parse("""{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}""");
        JsonNode patch = JsonAssert.Parse("""{"spec":{"ports":[{"port":443,"nodePort":30443}]}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, typeof(V1Service));

        JsonAssert.Equal("""{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443,"nodePort":30443}]}}""", result);
    }

    [Fact]
    public void Apply_Finalizers_AreUnionedWithoutDuplicates()
    {
        JsonNode original = JsonAssert.Parse("""{"metadata":{"finalizers":["a","b"]}}""");
        JsonNode patch = JsonAssert.Parse("""{"metadata":{"finalizers":["b","c"]}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, typeof(V1ConfigMap));

        JsonAssert.Equal("""{"metadata":{"finalizers":["a","b","c"]}}""", result);
    }

    [Fact]
    public void Apply_OwnerReferencesPatchedByUid_MergeElementWise()
    {
        JsonNode original = JsonAssert.Parse("""{"metadata":{"ownerReferences":[{"uid":"1","name":"rs-a","controller":true}]}}""");
        JsonNode patch = JsonAssert.Parse("""{"metadata":{"ownerReferences":[{"uid":"1","blockOwnerDeletion":true},{"uid":"2","name":"rs-b"}]}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, typeof(V1Pod));

        JsonAssert.Equal("""{"metadata":{"ownerReferences":[{"uid":"1","name":"rs-a","controller":true,"blockOwnerDeletion":true},{"uid":"2","name":"rs-b"}]}}""", result);
    }

    [Fact]
    public void Apply_KubectlSecondApply_UpdatesImageAndKeepsTheRest()
    {
        JsonNode patch = JsonAssert.Parse("""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
             "spec":{"minReadySeconds":1,"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
               "containers":[{"image":"nginx:1.27","name":"app"}]}}}}
            """);

        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), patch, typeof(V1Deployment));

        Assert.Equal("{}\n", result["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>());
        Assert.Equal(1, result["spec"]!["minReadySeconds"]!.GetValue<int>());
        JsonArray containers = result["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["app", "sidecar"], containers.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("nginx:1.27", containers[0]!["image"]!.GetValue<string>());
        Assert.Equal(2, containers[0]!["env"]!.AsArray().Count);
        Assert.False(result["spec"]!["template"]!["spec"]!.AsObject().ContainsKey("$setElementOrder/containers"));
    }

    [Fact]
    public void Apply_RolloutRestart_AddsTemplateAnnotation()
    {
        JsonNode patch = JsonAssert.Parse("""{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}}""");

        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), patch, typeof(V1Deployment));

        JsonAssert.Equal("""{"labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}""", result["spec"]!["template"]!["metadata"]);
    }

    [Fact]
    public void Apply_CordonThenUncordon_SetsThenRemovesUnschedulable()
    {
        JsonNode node = JsonAssert.Parse("""{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24"}}""");

        JsonObject cordoned = StrategicMergePatch.Apply(node, JsonAssert.Parse("""{"spec":{"unschedulable":true}}"""), typeof(V1Node));
        JsonObject uncordoned = StrategicMergePatch.Apply(cordoned, JsonAssert.Parse("""{"spec":{"unschedulable":null}}"""), typeof(V1Node));

        JsonAssert.Equal("""{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}}""", cordoned);
        JsonAssert.Equal("""{"metadata":{"name":"n1"},"spec":{"podCIDR":"10.0.0.0/24"}}""", uncordoned);
    }

    [Fact]
    public void Apply_NullLabel_RemovesIt()
    {
        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse(Deployment), JsonAssert.Parse("""{"metadata":{"labels":{"tier":null}}}"""), typeof(V1Deployment));

        JsonAssert.Equal("""{"app":"web"}""", result["metadata"]!["labels"]);
    }

    [Fact]
    public void Apply_NullForAbsentField_IsNotStored()
    {
        JsonObject result = StrategicMergePatch.Apply(JsonAssert.Parse("""{"spec":{}}"""), JsonAssert.Parse("""{"spec":{"paused":null,"template":{"metadata":{"labels":{"x":null,"y":"1"}}}}}"""), typeof(V1Deployment));

        JsonAssert.Equal("""{"spec":{"template":{"metadata":{"labels":{"y":"1"}}}}}""", result);
    }

    [Fact]
    public void Apply_UnknownType_FallsBackToMergePatchSemantics()
    {
        JsonNode original = JsonAssert.Parse("""{"spec":{"items":[{"name":"a","v":1}],"keep":true}}""");
        JsonNode patch = JsonAssert.Parse("""{"spec":{"items":[{"name":"b"}],"drop":null}}""");

        JsonObject result = StrategicMergePatch.Apply(original, patch, null);

        JsonAssert.Equal("""{"spec":{"items":[{"name":"b"}],"keep":true}}""", result);
    }

    [Fact]
    public void Apply_AnyPatch_LeavesInputsUnchanged()
    {
        JsonNode original = JsonAssert.Parse(Deployment);
        JsonNode patch = JsonAssert.Parse("""{"spec":{"template":{"spec":{"containers":[{"$patch":"delete","name":"sidecar"},{"name":"app","image":"x"}]}}}}""");
        string originalText = original.ToJsonString();
        string patchText = patch.ToJsonString();

        StrategicMergePatch.Apply(original, patch, typeof(V1Deployment));

        Assert.Equal(originalText, original.ToJsonString());
        Assert.Equal(patchText, patch.ToJsonString());
    }
}
