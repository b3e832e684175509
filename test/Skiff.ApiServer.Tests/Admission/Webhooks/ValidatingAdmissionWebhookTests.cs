using System.Text.Json.Nodes;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

public sealed class ValidatingAdmissionWebhookTests : IAsyncLifetime
{
    private WebhookHarness _h = null!;

    public async Task InitializeAsync() => _h = await WebhookHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task CreatePod_AfterMutation_ValidatingWebhookSeesTheMutatedAndDefaultedPod()
    {
        _h.Server.On("/mutate", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/metadata/labels/injected","value":"yes"}]"""));
        _h.Server.On("/validate", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync("mutate", _h.Hook("mutate.skiff.test", "/mutate"));
        await _h.CreateValidatingAsync("validate", _h.Hook("validate.skiff.test", "/validate"));

        await _h.CreatePodAsync("web");

        JsonObject seen = Assert.Single(_h.Server.ReviewsAt("/validate"))["request"]!["object"]!.AsObject();
        Assert.Equal("yes", seen["metadata"]!["labels"]!["injected"]!.GetValue<string>());
        Assert.Equal("Always", seen["spec"]!["restartPolicy"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_OneOfSeveralValidatingWebhooksDenies_IsRefusedAndAllWereCalled()
    {
        _h.Server.On("/yes", review => WebhookTestServer.Allow(review));
        _h.Server.On("/no", review => WebhookTestServer.Deny(review, 422, "image must come from the registry"));
        await _h.CreateValidatingAsync("policy", _h.Hook("yes.skiff.test", "/yes"), _h.Hook("no.skiff.test", "/no"));

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web"));

        Assert.Equal(422, error.Code);
        Assert.Equal("admission webhook \"no.skiff.test\" denied the request: image must come from the registry", error.Message);
        Assert.Single(_h.Server.ReviewsAt("/yes"));
        await Assert.ThrowsAsync<StatusException>(() => _h.Registry.GetAsync(_h.Registry.Pods, "demo", "web"));
    }

    [Fact]
    public async Task DeletePod_DeleteRule_ValidatingWebhookGetsTheOldObjectAndCanRefuse()
    {
        await _h.CreatePodAsync("keep", """{"protected":"true"}""");
        _h.Server.On("/delete", review => WebhookTestServer.Deny(review, 403, "protected"));
        await _h.CreateValidatingAsync("deletes", _h.Hook("delete.skiff.test", "/delete", """{"operations":["DELETE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}"""));

        StatusException error = await Assert.ThrowsAsync<StatusException>(
            () => _h.Registry.Registry.DeleteAsync(_h.Registry.Pods, "demo", "keep", null, false, CancellationToken.None));

        Assert.Equal(403, error.Code);
        JsonObject request = Assert.Single(_h.Server.ReviewsAt("/delete"))["request"]!.AsObject();
        Assert.Equal("DELETE", request["operation"]!.GetValue<string>());
        Assert.Null(request["object"]);
        Assert.Equal("true", request["oldObject"]!["metadata"]!["labels"]!["protected"]!.GetValue<string>());
        await _h.Registry.GetAsync(_h.Registry.Pods, "demo", "keep");
    }

    [Fact]
    public async Task CreatePod_ValidatingWebhookReturnsAPatch_FailsAsAnInvalidResponse()
    {
        _h.Server.On("/patch", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/metadata/labels/x","value":"y"}]"""));
        await _h.CreateValidatingAsync("patcher", _h.Hook("patch.skiff.test", "/patch"));

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web"));

        Assert.Equal(
            "Internal error occurred: failed calling webhook \"patch.skiff.test\": received invalid webhook response: validating webhooks may not return patches",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_ResponseWithAnotherUid_FailsAsAnInvalidResponse()
    {
        _h.Server.On("/uid", review =>
        {
            JsonObject answer = WebhookTestServer.Allow(review);
            answer["response"]!["uid"] = "other";
            return answer;
        });
        await _h.CreateValidatingAsync("uids", _h.Hook("uid.skiff.test", "/uid"));

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web"));

        string uid = WebhookTestServer.Uid(Assert.Single(_h.Server.Received).Review);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"uid.skiff.test\": received invalid webhook response: expected response.uid=\"{uid}\", got \"other\"",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_WebhookAuditAnnotationNamedLikeTheDecision_KeepsTheAuthorizationDecision()
    {
        _h.Server.On("/spoof", review =>
        {
            JsonObject answer = WebhookTestServer.Allow(review);
            answer["response"]!["auditAnnotations"] = new JsonObject { ["decision"] = "forged", ["note"] = "kept" };
            return answer;
        });
        await _h.CreateValidatingAsync("spoof", _h.Hook("authorization.k8s.io", "/spoof"));
        var write = Skiff.ApiServer.Tests.Registry.RegistryHarness.Write();
        write.AuditAnnotations["authorization.k8s.io/decision"] = "allow";

        await _h.Registry.Registry.CreateAsync(_h.Registry.Pods, "demo", Skiff.ApiServer.Tests.Registry.RegistryHarness.Json("""{"metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}"""), write, CancellationToken.None);

        Assert.Equal("allow", write.AuditAnnotations["authorization.k8s.io/decision"]);
        Assert.Equal("kept", write.AuditAnnotations["authorization.k8s.io/note"]);
    }
}
