using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

public sealed class MutatingAdmissionWebhookTests : IAsyncLifetime
{
    private const string AddSidecar =
        """[{"op":"add","path":"/metadata/labels/injected","value":"yes"},{"op":"add","path":"/spec/containers/-","value":{"name":"sidecar","image":"busybox"}}]""";

    private WebhookHarness _h = null!;

    public async Task InitializeAsync() => _h = await WebhookHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task CreatePod_PatchingWebhook_StoresThePatchedPodAndSendsTheReview()
    {
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        await _h.CreateMutatingAsync("sidecars", _h.Hook("inject.skiff.test", "/inject"));

        await _h.CreatePodAsync("web", """{"app":"web"}""");

        JsonObject stored = await _h.Registry.GetAsync(_h.Registry.Pods, "demo", "web");
        Assert.Equal("yes", stored["metadata"]!["labels"]!["injected"]!.GetValue<string>());
        Assert.Equal(["app", "sidecar"], stored["spec"]!["containers"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        JsonObject request = Assert.Single(_h.Server.ReviewsAt("/inject"))["request"]!.AsObject();
        Assert.Equal("CREATE", request["operation"]!.GetValue<string>());
        Assert.Equal("Pod", request["kind"]!["kind"]!.GetValue<string>());
        Assert.Equal("pods", request["resource"]!["resource"]!.GetValue<string>());
        Assert.Equal("demo", request["namespace"]!.GetValue<string>());
        Assert.Equal("web", request["name"]!.GetValue<string>());
        Assert.Equal("system:apiserver", request["userInfo"]!["username"]!.GetValue<string>());
        Assert.False(request["dryRun"]!.GetValue<bool>());
        Assert.Equal("web", request["object"]!["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal("CreateOptions", request["options"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_WebhookWarnings_AreReturned()
    {
        _h.Server.On("/warn", review => WebhookTestServer.Allow(review, warnings: ["image nginx is not pinned"]));
        await _h.CreateMutatingAsync("warner", _h.Hook("warn.skiff.test", "/warn"));
        var write = Skiff.ApiServer.Tests.Registry.RegistryHarness.Write();

        await _h.Registry.Registry.CreateAsync(_h.Registry.Pods, "demo", Skiff.ApiServer.Tests.Registry.RegistryHarness.Json(
            """{"metadata":{"name":"w"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}"""), write, CancellationToken.None);

        Assert.Contains("image nginx is not pinned", write.Warnings);
    }

    [Fact]
    public async Task CreatePod_RulesDoNotMatch_WebhookIsNotCalled()
    {
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        await _h.CreateMutatingAsync(
            "others",
            _h.Hook("update-only.skiff.test", "/inject", """{"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}"""),
            _h.Hook("deployments.skiff.test", "/inject", """{"operations":["*"],"apiGroups":["apps"],"apiVersions":["*"],"resources":["deployments"]}"""),
            _h.Hook("status.skiff.test", "/inject", """{"operations":["*"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods/status"]}"""),
            _h.Hook("cluster.skiff.test", "/inject", """{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Cluster"}"""));

        await _h.CreatePodAsync("web");

        Assert.Empty(_h.Server.Received);
        JsonObject stored = await _h.Registry.GetAsync(_h.Registry.Pods, "demo", "web");
        Assert.Single(stored["spec"]!["containers"]!.AsArray());
    }

    [Fact]
    public async Task CreatePod_WildcardRule_IsCalledForPodsButNotForTheirStatus()
    {
        _h.Server.On("/all", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync("all", _h.Hook("all.skiff.test", "/all", """{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"],"scope":"Namespaced"}"""));
        JsonObject pod = await _h.CreatePodAsync("web");
        int afterCreate = _h.Server.Received.Count;

        pod["status"] = new JsonObject { ["phase"] = "Running" };
        await _h.Registry.ReplaceAsync(_h.Registry.Pods, "demo", "web", pod, "status");

        Assert.Equal(1, afterCreate);
        Assert.Single(_h.Server.Received);
    }

    [Fact]
    public async Task CreatePod_NamespaceSelector_OnlyLabelledNamespacesAreSent()
    {
        await _h.Registry.CreateAsync(_h.Registry.Namespaces, null, """{"metadata":{"name":"injected","labels":{"sidecars":"on"}}}""");
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        await _h.CreateMutatingAsync("sidecars", _h.Hook("inject.skiff.test", "/inject", extra: ""","namespaceSelector":{"matchLabels":{"sidecars":"on"}}"""));

        JsonObject plain = await _h.CreatePodAsync("plain");
        JsonObject injected = await _h.CreatePodAsync("pod", ns: "injected");

        Assert.Single(plain["spec"]!["containers"]!.AsArray());
        Assert.Equal(2, injected["spec"]!["containers"]!.AsArray().Count);
        Assert.Equal("injected", Assert.Single(_h.Server.ReviewsAt("/inject"))["request"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_ObjectSelector_OnlyLabelledPodsAreSent()
    {
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        await _h.CreateMutatingAsync("sidecars", _h.Hook("inject.skiff.test", "/inject", extra: ""","objectSelector":{"matchExpressions":[{"key":"sidecar","operator":"In","values":["true"]}]}"""));

        JsonObject plain = await _h.CreatePodAsync("plain", """{"sidecar":"false"}""");
        JsonObject labelled = await _h.CreatePodAsync("labelled", """{"sidecar":"true"}""");

        Assert.Single(plain["spec"]!["containers"]!.AsArray());
        Assert.Equal(2, labelled["spec"]!["containers"]!.AsArray().Count);
    }

    [Fact]
    public async Task CreatePod_WebhookDenies_IsRefusedWithItsStatus()
    {
        _h.Server.On("/deny", review => WebhookTestServer.Deny(review, 403, "pods need an owner label"));
        await _h.CreateMutatingAsync("policy", _h.Hook("deny.skiff.test", "/deny"));

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web"));

        Assert.Equal(403, error.Code);
        Assert.Equal("admission webhook \"deny.skiff.test\" denied the request: pods need an owner label", error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _h.Registry.GetAsync(_h.Registry.Pods, "demo", "web"));
    }

    [Fact]
    public async Task CreatePod_WebhooksCalled_DurationIsRecordedPerWebhookAndOutcome()
    {
        _h.Server.On("/deny", review => WebhookTestServer.Deny(review, 403, "no"));
        _h.Server.On("/allow", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync("a", _h.Hook("allow.skiff.test", "/allow"));
        await _h.CreateMutatingAsync("b", _h.Hook("deny.skiff.test", "/deny"));

        await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web"));

        using var buffer = new MemoryStream();
        await _h.Registry.Provider.GetRequiredService<CollectorRegistry>().CollectAndExportAsTextAsync(buffer, CancellationToken.None);
        string scraped = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        Assert.Contains("apiserver_admission_webhook_admission_duration_seconds_count{name=\"allow.skiff.test\",type=\"admit\",operation=\"CREATE\",rejected=\"false\"} 1", scraped);
        Assert.Contains("apiserver_admission_webhook_admission_duration_seconds_count{name=\"deny.skiff.test\",type=\"admit\",operation=\"CREATE\",rejected=\"true\"} 1", scraped);
    }

    [Fact]
    public async Task CreatePod_WebhookTimesOutWithFailurePolicyFail_IsRefused()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _h.Server.On("/slow", async review =>
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, _h.Server.Stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            return WebhookTestServer.Allow(review);
        });
        await _h.CreateMutatingAsync("slow", _h.Hook("slow.skiff.test", "/slow", extra: ""","timeoutSeconds":1"""));

        Task<JsonObject> create = _h.CreatePodAsync("web");
        await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _h.Registry.Time.Advance(TimeSpan.FromSeconds(1));
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => create);

        Assert.Equal(500, error.Code);
        Assert.Equal("InternalError", error.Reason);
        Assert.Equal(
            $"Internal error occurred: failed calling webhook \"slow.skiff.test\": failed to call webhook: Post \"{_h.Server.Url("/slow")}?timeout=1s\": context deadline exceeded",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_WebhookTimesOutWithFailurePolicyIgnore_IsCreatedUnchanged()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _h.Server.On("/slow", async review =>
        {
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, _h.Server.Stopping).ContinueWith(_ => { }, TaskScheduler.Default);
            return WebhookTestServer.Allow(review, AddSidecar);
        });
        await _h.CreateMutatingAsync("slow", _h.Hook("slow.skiff.test", "/slow", extra: ""","timeoutSeconds":1,"failurePolicy":"Ignore" """));

        Task<JsonObject> create = _h.CreatePodAsync("web");
        await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _h.Registry.Time.Advance(TimeSpan.FromSeconds(1));
        JsonObject pod = await create;

        Assert.Single(pod["spec"]!["containers"]!.AsArray());
    }

    [Fact]
    public async Task CreatePod_UnreachableWebhook_FailRefusesAndIgnoreContinues()
    {
        string hook = $$"""{"name":"gone.skiff.test","clientConfig":{"url":"https://127.0.0.1:1/gone"},"rules":[{{WebhookHarness.Rules.PodsCreate}}],"sideEffects":"None","admissionReviewVersions":["v1"]""";
        await _h.CreateMutatingAsync("gone", hook + "}");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("refused"));
        await _h.Registry.Registry.DeleteAsync(_h.Mutating, null, "gone", null, false, CancellationToken.None);
        await _h.CreateMutatingAsync("gone-ignored", hook + ""","failurePolicy":"Ignore"}""");
        JsonObject created = await _h.CreatePodAsync("created");

        Assert.Equal(
            "Internal error occurred: failed calling webhook \"gone.skiff.test\": failed to call webhook: Post \"https://127.0.0.1:1/gone?timeout=10s\": dial tcp 127.0.0.1:1: connect: connection refused",
            error.Message);
        Assert.Equal("created", created["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_WrongCaBundle_CallFailsAndThePolicyDecides()
    {
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        string wrong = WebhookTestServer.UnrelatedCaBundle();
        string Hook(string name, string policy) =>
            $$"""{"name":"{{name}}","clientConfig":{"url":"{{_h.Server.Url("/inject")}}","caBundle":"{{wrong}}"},"rules":[{{WebhookHarness.Rules.PodsCreate}}],"sideEffects":"None","admissionReviewVersions":["v1"],"failurePolicy":"{{policy}}"}""";
        await _h.CreateMutatingAsync("strict", Hook("strict.skiff.test", "Fail"));

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("refused"));
        await _h.Registry.Registry.DeleteAsync(_h.Mutating, null, "strict", null, false, CancellationToken.None);
        await _h.CreateMutatingAsync("lenient", Hook("lenient.skiff.test", "Ignore"));
        JsonObject created = await _h.CreatePodAsync("created");

        Assert.StartsWith("Internal error occurred: failed calling webhook \"strict.skiff.test\": failed to call webhook: Post ", error.Message);
        Assert.Contains("x509: certificate signed by unknown authority", error.Message);
        Assert.Single(created["spec"]!["containers"]!.AsArray());
        Assert.Empty(_h.Server.Received);
    }

    [Fact]
    public async Task CreatePod_DryRun_SideEffectsNoneOnDryRunIsCalledWithDryRunAndNothingIsStored()
    {
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        await _h.CreateMutatingAsync("sidecars", _h.Hook("inject.skiff.test", "/inject").Replace("\"sideEffects\":\"None\"", "\"sideEffects\":\"NoneOnDryRun\"", StringComparison.Ordinal));

        JsonObject pod = await _h.CreatePodAsync("web", dryRun: true);

        Assert.Equal(2, pod["spec"]!["containers"]!.AsArray().Count);
        Assert.True(Assert.Single(_h.Server.Received).Review["request"]!["dryRun"]!.GetValue<bool>());
        await Assert.ThrowsAsync<StatusException>(() => _h.Registry.GetAsync(_h.Registry.Pods, "demo", "web"));
    }

    [Fact]
    public async Task CreatePod_DryRunToWebhookWithSideEffects_IsRefused()
    {
        // v1 refuses sideEffects Unknown on write; configurations stored by older servers can still hold it.
        _h.Server.On("/inject", review => WebhookTestServer.Allow(review, AddSidecar));
        string stored = $$"""{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":"legacy","uid":"1"},"webhooks":[{{_h.Hook("legacy.skiff.test", "/inject").Replace("\"sideEffects\":\"None\"", "\"sideEffects\":\"Unknown\"", StringComparison.Ordinal)}}]}""";
        await _h.Registry.Store.CreateAsync("/admissionregistration.k8s.io/mutatingwebhookconfigurations/legacy", System.Text.Encoding.UTF8.GetBytes(stored), null, CancellationToken.None);
        await _h.Cache.SyncAsync(CancellationToken.None);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _h.CreatePodAsync("web", dryRun: true));
        JsonObject created = await _h.CreatePodAsync("real");

        Assert.Equal(400, error.Code);
        Assert.Equal("admission webhook \"legacy.skiff.test\" does not support dry run", error.Message);
        Assert.Equal(2, created["spec"]!["containers"]!.AsArray().Count);
    }

    [Fact]
    public async Task CreatePod_IfNeededWebhookBeforeALaterChange_IsCalledAgainWithTheChangedPod()
    {
        _h.Server.On("/first", review => WebhookTestServer.Allow(review));
        _h.Server.On("/never", review => WebhookTestServer.Allow(review));
        _h.Server.On("/second", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/metadata/labels/second","value":"ran"}]"""));
        await _h.CreateMutatingAsync("a-first", _h.Hook("first.skiff.test", "/first", extra: ""","reinvocationPolicy":"IfNeeded" """), _h.Hook("never.skiff.test", "/never"));
        await _h.CreateMutatingAsync("b-second", _h.Hook("second.skiff.test", "/second"));

        await _h.CreatePodAsync("web");

        JsonObject[] first = [.. _h.Server.ReviewsAt("/first")];
        Assert.Equal(2, first.Length);
        Assert.Null(first[0]["request"]!["object"]!["metadata"]!["labels"]?["second"]);
        Assert.Equal("ran", first[1]["request"]!["object"]!["metadata"]!["labels"]!["second"]!.GetValue<string>());
        Assert.Single(_h.Server.ReviewsAt("/never"));
        Assert.Single(_h.Server.ReviewsAt("/second"));
    }

    [Fact]
    public async Task CreatePod_IfNeededWebhookWithNoLaterChange_IsCalledOnce()
    {
        _h.Server.On("/first", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/metadata/labels/first","value":"ran"}]"""));
        _h.Server.On("/second", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync("a-first", _h.Hook("first.skiff.test", "/first", extra: ""","reinvocationPolicy":"IfNeeded" """));
        await _h.CreateMutatingAsync("b-second", _h.Hook("second.skiff.test", "/second", extra: ""","reinvocationPolicy":"IfNeeded" """));

        await _h.CreatePodAsync("web");

        Assert.Single(_h.Server.ReviewsAt("/first"));
        Assert.Single(_h.Server.ReviewsAt("/second"));
    }

    [Fact]
    public async Task CreateHpa_EquivalentMatchPolicy_SendsTheMatchedVersionAndExactIsNotCalled()
    {
        const string V1Rule = """{"operations":["CREATE"],"apiGroups":["autoscaling"],"apiVersions":["v1"],"resources":["horizontalpodautoscalers"]}""";
        _h.Server.On("/equivalent", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/spec/targetCPUUtilizationPercentage","value":55}]"""));
        _h.Server.On("/exact", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync(
            "hpas",
            _h.Hook("equivalent.skiff.test", "/equivalent", V1Rule),
            _h.Hook("exact.skiff.test", "/exact", V1Rule, ""","matchPolicy":"Exact" """));
        var v2 = _h.Registry.Resource("autoscaling", "v2", "horizontalpodautoscalers");

        JsonObject hpa = await _h.Registry.CreateAsync(v2, "demo",
            """{"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":3}}""");

        JsonObject request = Assert.Single(_h.Server.ReviewsAt("/equivalent"))["request"]!.AsObject();
        Assert.Equal("v1", request["kind"]!["version"]!.GetValue<string>());
        Assert.Equal("v2", request["requestKind"]!["version"]!.GetValue<string>());
        Assert.Equal("autoscaling/v1", request["object"]!["apiVersion"]!.GetValue<string>());
        Assert.Empty(_h.Server.ReviewsAt("/exact"));
        JsonObject metric = hpa["spec"]!["metrics"]!.AsArray().Single()!.AsObject();
        Assert.Equal(55, metric["resource"]!["target"]!["averageUtilization"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateHpa_RequestInV1_ExactV1WebhookIsCalledWithTheV1Object()
    {
        const string V1Rule = """{"operations":["CREATE"],"apiGroups":["autoscaling"],"apiVersions":["v1"],"resources":["horizontalpodautoscalers"]}""";
        _h.Server.On("/exact", review => WebhookTestServer.Allow(review));
        await _h.CreateMutatingAsync("hpas", _h.Hook("exact.skiff.test", "/exact", V1Rule, ""","matchPolicy":"Exact" """));
        var v1 = _h.Registry.Resource("autoscaling", "v1", "horizontalpodautoscalers");
        var v2 = _h.Registry.Resource("autoscaling", "v2", "horizontalpodautoscalers");
        var write = Skiff.ApiServer.Tests.Registry.RegistryHarness.Write() with { RequestResource = v1 };

        await _h.Registry.Registry.CreateAsync(v2, "demo", Skiff.ApiServer.Tests.Registry.RegistryHarness.Json(
            """{"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":3,"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}}]}}"""),
            write,
            CancellationToken.None);

        JsonObject request = Assert.Single(_h.Server.ReviewsAt("/exact"))["request"]!.AsObject();
        Assert.Equal("v1", request["kind"]!["version"]!.GetValue<string>());
        Assert.Equal("v1", request["requestKind"]!["version"]!.GetValue<string>());
        Assert.Equal(70, request["object"]!["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateConfiguration_MatchingWebhookExists_ConfigurationsAreNeverSentToWebhooks()
    {
        _h.Server.On("/all", review => WebhookTestServer.Deny(review, 403, "no"));
        await _h.CreateMutatingAsync("all", _h.Hook("all.skiff.test", "/all", """{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}"""));

        await _h.CreateMutatingAsync("another", _h.Hook("another.skiff.test", "/other"));

        Assert.Empty(_h.Server.Received);
    }
}
