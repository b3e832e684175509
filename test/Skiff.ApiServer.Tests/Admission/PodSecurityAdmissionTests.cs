using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class PodSecurityAdmissionTests : IAsyncDisposable
{
    private const string Restricted = """
        "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
        "containers":[{"name":"app","image":"nginx","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]
        """;

    private const string Plain = "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]";

    private readonly RegistryHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_EnforceRestrictedPlainPod_IsForbiddenWithEveryViolation()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/enforce":"restricted"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("web", Plain));

        Assert.Equal(403, error.Code);
        Assert.Equal(
            "pods \"web\" is forbidden: violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"app\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"app\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"app\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_EnforceRestrictedCompliantPod_IsAdmitted()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/enforce":"restricted"}""");

        JsonObject pod = await CreatePodAsync("web", Restricted);

        Assert.Equal("web", pod["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_EnforceBaselinePrivilegedHostPod_NamesBaselineViolationsInOrder()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/enforce":"baseline","pod-security.kubernetes.io/enforce-version":"v1.32"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("root", """
            "hostNetwork":true,"volumes":[{"name":"host","hostPath":{"path":"/"}}],
            "securityContext":{"sysctls":[{"name":"kernel.msgmax","value":"1"}]},
            "containers":[{"name":"app","image":"nginx","ports":[{"containerPort":80,"hostPort":8080}],
              "securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN","CHOWN"]},"seccompProfile":{"type":"Unconfined"}}}]
            """));

        Assert.Equal(
            "pods \"root\" is forbidden: violates PodSecurity \"baseline:v1.32\": non-default capabilities (container \"app\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add), "
            + "host namespaces (hostNetwork=true), hostPath volumes (volume \"host\"), hostPort (container \"app\" uses hostPort 8080), "
            + "privileged (container \"app\" must not set securityContext.privileged=true), "
            + "seccompProfile (container \"app\" must not set securityContext.seccompProfile.type to \"Unconfined\"), forbidden sysctls (kernel.msgmax)",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_WarnBaseline_AdmitsWithWarning()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/warn":"baseline"}""");
        WriteRequest request = RegistryHarness.Write();

        await _harness.Registry.CreateAsync(_harness.Pods, "psa", RegistryHarness.Json(Pod("priv", """
            "containers":[{"name":"app","image":"nginx","securityContext":{"privileged":true}}]
            """)), request, CancellationToken.None);

        Assert.Equal("would violate PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)", Assert.Single(request.Warnings));
        await _harness.GetAsync(_harness.Pods, "psa", "priv");
    }

    [Fact]
    public async Task CreateDeployment_EnforceRestrictedOnly_IsAdmittedWithoutWarning()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/enforce":"restricted"}""");
        WriteRequest request = RegistryHarness.Write();

        await _harness.Registry.CreateAsync(_harness.Deployments, "psa", Deployment("""{"name":"app","image":"nginx","securityContext":{"privileged":true}}"""), request, CancellationToken.None);

        Assert.Empty(request.Warnings);
    }

    [Fact]
    public async Task CreateDeployment_WarnRestricted_WarnsAboutItsTemplate()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/warn":"restricted"}""");
        WriteRequest request = RegistryHarness.Write();

        await _harness.Registry.CreateAsync(_harness.Deployments, "psa", Deployment("""{"name":"app","image":"nginx","securityContext":{"runAsUser":0}}"""), request, CancellationToken.None);

        string warning = Assert.Single(request.Warnings);
        Assert.StartsWith("would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false", warning, StringComparison.Ordinal);
        Assert.Contains("runAsUser=0 (container \"app\" must not set runAsUser=0)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePod_RestrictedVolumeAndAddedCapability_AreNamed()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/enforce":"restricted"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("vol", """
            "securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
            "volumes":[{"name":"host","hostPath":{"path":"/tmp"}},{"name":"scratch","emptyDir":{}}],
            "containers":[{"name":"app","image":"nginx","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE","NET_ADMIN"]}}}]
            """));

        Assert.Equal(
            "pods \"vol\" is forbidden: violates PodSecurity \"restricted:latest\": unrestricted capabilities (container \"app\" must not include \"NET_ADMIN\" in securityContext.capabilities.add), "
            + "restricted volume types (volumes [\"host\"] have restricted types)",
            error.Message);
    }

    [Fact]
    public async Task CreatePod_AuditRestricted_AddsTheAuditAnnotationOnly()
    {
        await CreateNamespaceAsync("""{"pod-security.kubernetes.io/audit":"restricted"}""");
        var plugin = new Skiff.ApiServer.Admission.PodSecurityAdmission(_harness.Provider.GetRequiredService<Skiff.ApiServer.WatchCache.CacheOrStore>());
        var pod = new k8s.Models.V1Pod
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "p", NamespaceProperty = "psa" },
            Spec = new k8s.Models.V1PodSpec { Containers = [new k8s.Models.V1Container { Name = "app", Image = "nginx" }] },
        };
        var attributes = new Skiff.ApiServer.Admission.AdmissionAttributes
        {
            Resource = _harness.Pods,
            Operation = Skiff.ApiServer.Admission.AdmissionOperation.Create,
            Namespace = "psa",
            Name = "p",
            User = Skiff.ApiServer.Authentication.UserInfo.ApiServer,
            Object = pod,
            Context = new ApiContext(_harness.Time, _harness.Store, new ApiServerOptions(), false),
        };

        await plugin.ValidateAsync(attributes, CancellationToken.None);

        Assert.Empty(attributes.Warnings);
        Assert.StartsWith("would violate PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false", attributes.AuditAnnotations["pod-security.kubernetes.io/audit-violations"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdatePod_ImageChangeIsCheckedAgain_OtherSpecChangesAreNot()
    {
        await CreateNamespaceAsync("{}");
        await CreatePodAsync("old", Plain);
        JsonObject labelled = await _harness.GetAsync(_harness.Namespaces, null, "psa");
        labelled["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"] = "restricted";
        await _harness.ReplaceAsync(_harness.Namespaces, null, "psa", labelled);

        // Upstream's isSignificantPodUpdate: a running pod that breaks the new level may still get a deadline or a
        // toleration, but not a new image.
        JsonObject pod = await _harness.GetAsync(_harness.Pods, "psa", "old");
        pod["spec"]!["activeDeadlineSeconds"] = 30;
        JsonObject updated = await _harness.ReplaceAsync(_harness.Pods, "psa", "old", pod);
        Assert.Equal(30, updated["spec"]!["activeDeadlineSeconds"]!.GetValue<long>());

        pod = await _harness.GetAsync(_harness.Pods, "psa", "old");
        pod["spec"]!["containers"]![0]!["image"] = "nginx:2";
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(_harness.Pods, "psa", "old", pod));
        Assert.Contains("violates PodSecurity \"restricted:latest\"", error.Message, StringComparison.Ordinal);
        Assert.Equal("nginx", (await _harness.GetAsync(_harness.Pods, "psa", "old"))["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateNamespace_EnforceRestricted_WarnsAboutExistingViolatingPods()
    {
        await CreateNamespaceAsync("{}");
        await CreatePodAsync("old", Plain);
        await CreatePodAsync("good", Restricted);
        JsonObject labelled = await _harness.GetAsync(_harness.Namespaces, null, "psa");
        labelled["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"] = "restricted";
        WriteRequest request = RegistryHarness.Write();

        await _harness.Registry.UpdateAsync(_harness.Namespaces, null, "psa", null, _ => labelled.DeepClone().AsObject(), request, false, CancellationToken.None);

        Assert.Equal(
            [
                "existing pods in namespace \"psa\" violate the new PodSecurity enforce level \"restricted:latest\"",
                "old: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            ],
            request.Warnings);
        JsonObject stored = await _harness.GetAsync(_harness.Namespaces, null, "psa");
        Assert.Equal("restricted", stored["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
    }

    private Task<JsonObject> CreateNamespaceAsync(string labels) =>
        _harness.CreateAsync(_harness.Namespaces, null, $$$"""{"metadata":{"name":"psa","labels":{{{labels}}}}}""");

    private Task<JsonObject> CreatePodAsync(string name, string spec) => _harness.CreateAsync(_harness.Pods, "psa", Pod(name, spec));

    private static string Pod(string name, string spec) => "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{" + spec + "}}";

    private static JsonObject Deployment(string container) => RegistryHarness.Json(
        """{"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":["""
        + container + "]}}}}");
}
