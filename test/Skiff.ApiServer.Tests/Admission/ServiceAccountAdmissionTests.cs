using System.Text.Json.Nodes;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class ServiceAccountAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private const string TokenPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly RegistryHarness _harness = new();

    private ResourceInfo Accounts => _harness.Resource(string.Empty, "v1", "serviceaccounts");

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_Plain_GetsDefaultAccountAndTheProjectedTokenVolumeInEveryContainer()
    {
        JsonObject pod = await CreatePodAsync("web", """
            "initContainers":[{"name":"init","image":"busybox"}],
            "containers":[{"name":"app","image":"nginx"},{"name":"side","image":"busybox"}]
            """);

        JsonObject spec = pod["spec"]!.AsObject();
        Assert.Equal("default", spec["serviceAccountName"]!.GetValue<string>());
        JsonArray volumes = spec["volumes"]!.AsArray();
        JsonObject volume = Assert.Single(volumes)!.AsObject();
        string name = volume["name"]!.GetValue<string>();
        Assert.Matches("^kube-api-access-[a-z0-9]{5}$", name);
        JsonObject expected = RegistryHarness.Json($$$"""
            {"name":"{{{name}}}","projected":{"defaultMode":420,"sources":[
              {"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
              {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
              {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, volume), volume.ToJsonString());
        foreach (JsonNode? container in spec["containers"]!.AsArray().Concat(spec["initContainers"]!.AsArray()))
        {
            JsonObject mount = Assert.Single(container!["volumeMounts"]!.AsArray())!.AsObject();
            Assert.Equal(name, mount["name"]!.GetValue<string>());
            Assert.Equal(TokenPath, mount["mountPath"]!.GetValue<string>());
            Assert.True(mount["readOnly"]!.GetValue<bool>());
        }

        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Equal(name, stored["spec"]!["volumes"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_AutomountFalseOnPod_GetsNoVolume()
    {
        JsonObject pod = await CreatePodAsync("quiet", "\"automountServiceAccountToken\":false,\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]");

        Assert.Null(pod["spec"]!["volumes"]);
        Assert.Null(pod["spec"]!["containers"]![0]!["volumeMounts"]);
        Assert.Equal("default", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_AccountWithAutomountFalse_GetsNoVolumeUnlessThePodAsks()
    {
        await _harness.CreateAsync(Accounts, "demo", """{"metadata":{"name":"robot"},"automountServiceAccountToken":false}""");

        JsonObject quiet = await CreatePodAsync("quiet", "\"serviceAccountName\":\"robot\",\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]");
        JsonObject asks = await CreatePodAsync(
            "asks", "\"serviceAccountName\":\"robot\",\"automountServiceAccountToken\":true,\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]");

        Assert.Null(quiet["spec"]!["volumes"]);
        Assert.Equal("robot", quiet["spec"]!["serviceAccountName"]!.GetValue<string>());
        Assert.Single(asks["spec"]!["volumes"]!.AsArray());
    }

    [Fact]
    public async Task CreatePod_ContainerAlreadyMountingThePath_KeepsItsMountAndOthersGetTheToken()
    {
        JsonObject pod = await CreatePodAsync("own", $$$"""
            "volumes":[{"name":"mine","emptyDir":{}}],
            "containers":[
              {"name":"app","image":"nginx","volumeMounts":[{"name":"mine","mountPath":"{{{TokenPath}}}"}]},
              {"name":"side","image":"busybox"}]
            """);

        JsonArray volumes = pod["spec"]!["volumes"]!.AsArray();
        Assert.Equal(2, volumes.Count);
        JsonArray appMounts = pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray();
        Assert.Equal("mine", Assert.Single(appMounts)!["name"]!.GetValue<string>());
        Assert.StartsWith("kube-api-access-", pod["spec"]!["containers"]![1]!["volumeMounts"]![0]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePod_EveryContainerMountsThePath_GetsNoVolume()
    {
        JsonObject pod = await CreatePodAsync("own", $$$"""
            "volumes":[{"name":"mine","emptyDir":{}}],
            "containers":[{"name":"app","image":"nginx","volumeMounts":[{"name":"mine","mountPath":"{{{TokenPath}}}"}]}]
            """);

        Assert.Equal("mine", Assert.Single(pod["spec"]!["volumes"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_ServiceAccountField_IsUsedAsTheName()
    {
        JsonObject pod = await CreatePodAsync("legacy", "\"serviceAccount\":\"builder\",\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]");

        Assert.Equal("builder", pod["spec"]!["serviceAccountName"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_MirrorPod_IsLeftAlone()
    {
        JsonObject pod = await _harness.CreateAsync(_harness.Pods, "demo", """
            {"metadata":{"name":"static","annotations":{"kubernetes.io/config.mirror":"abc"}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}
            """);

        Assert.Null(pod["spec"]!["volumes"]);
    }

    [Fact]
    public async Task ReplacePod_KeepingTheAdmittedVolume_IsAccepted()
    {
        JsonObject pod = await CreatePodAsync("web", "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]");
        pod["metadata"]!["labels"] = new JsonObject { ["tier"] = "web" };

        JsonObject updated = await _harness.ReplaceAsync(_harness.Pods, "demo", "web", pod);

        Assert.Single(updated["spec"]!["volumes"]!.AsArray());
        Assert.Single(updated["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray());
    }

    private Task<JsonObject> CreatePodAsync(string name, string specFields) =>
        _harness.CreateAsync(_harness.Pods, "demo", "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{" + specFields + "}}");
}
