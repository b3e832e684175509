using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.TestKit.Server;

namespace Skiff.Tests.Clients;

/// <summary>
/// The official C# KubernetesClient against a real <c>skiff server</c> over HTTPS: the wire contract (JSON, status codes,
/// watch framing, patch content types) must be what the library expects, not just what our own code produces.
/// </summary>
public sealed class KubernetesClientTests(SkiffServerFixture fixture) : IClassFixture<SkiffServerFixture>
{
    private const string Namespace = "default";
    private static readonly TimeSpan s_testTimeout = TimeSpan.FromSeconds(30);

    private readonly Kubernetes _client = fixture.Client;

    [Fact]
    public async Task CreateNamespacedConfigMap_ThenRead_ReturnsTheStoredObject()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        V1ConfigMap wanted = ConfigMap("create-read", new Dictionary<string, string> { ["greeting"] = "hello" });

        V1ConfigMap created = await _client.CoreV1.CreateNamespacedConfigMapAsync(wanted, Namespace, cancellationToken: timeout.Token);
        V1ConfigMap read = await _client.CoreV1.ReadNamespacedConfigMapAsync("create-read", Namespace, cancellationToken: timeout.Token);

        Assert.False(string.IsNullOrEmpty(created.Metadata?.Uid));
        Assert.False(string.IsNullOrEmpty(created.Metadata?.ResourceVersion));
        Assert.Equal(created.Metadata?.Uid, read.Metadata?.Uid);
        Assert.Equal(created.Metadata?.ResourceVersion, read.Metadata?.ResourceVersion);
        Assert.Equal("hello", read.Data?["greeting"]);
        Assert.NotNull(read.Metadata?.CreationTimestamp);
    }

    [Fact]
    public async Task ListNamespacedConfigMap_WithLabelSelector_ReturnsOnlyMatchingObjects()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("list-a", labels: new() { ["suite"] = "list", ["tier"] = "a" }), Namespace, cancellationToken: timeout.Token);
        await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("list-b", labels: new() { ["suite"] = "list", ["tier"] = "b" }), Namespace, cancellationToken: timeout.Token);
        await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("list-c", labels: new() { ["suite"] = "other" }), Namespace, cancellationToken: timeout.Token);

        V1ConfigMapList equality = await _client.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: "suite=list", cancellationToken: timeout.Token);
        V1ConfigMapList set = await _client.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: "suite=list,tier in (b)", cancellationToken: timeout.Token);

        Assert.Equal(["list-a", "list-b"], Names(equality));
        Assert.Equal(["list-b"], Names(set));
        Assert.False(string.IsNullOrEmpty(equality.Metadata?.ResourceVersion));
    }

    [Fact]
    public async Task WatchListNamespacedConfigMap_CreatePatchDelete_SeesAddedModifiedDeletedInOrder()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        const string Selector = "suite=watch";
        // Watching from the list's resourceVersion makes the stream replay everything after it, so the writes below cannot race
        // the watch request.
        V1ConfigMapList before = await _client.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: Selector, cancellationToken: timeout.Token);
        var errors = new List<Exception>();
        Task<List<(WatchEventType Type, string? ResourceVersion, string? Value)>> watching = CollectUntilDeletedAsync(
            _client.CoreV1.WatchListNamespacedConfigMapAsync(
                Namespace,
                labelSelector: Selector,
                resourceVersion: before.Metadata?.ResourceVersion,
                timeoutSeconds: (int)s_testTimeout.TotalSeconds,
                onError: errors.Add,
                cancellationToken: timeout.Token));

        V1ConfigMap created = await _client.CoreV1.CreateNamespacedConfigMapAsync(
            ConfigMap("watched", new() { ["step"] = "created" }, new() { ["suite"] = "watch" }), Namespace, cancellationToken: timeout.Token);
        V1ConfigMap patched = await _client.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("""{"data":{"step":"patched"}}""", V1Patch.PatchType.MergePatch), "watched", Namespace, cancellationToken: timeout.Token);
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("watched", Namespace, cancellationToken: timeout.Token);
        List<(WatchEventType Type, string? ResourceVersion, string? Value)> events = await watching;

        Assert.Empty(errors);
        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], events.Select(e => e.Type));
        Assert.Equal(created.Metadata?.ResourceVersion, events[0].ResourceVersion);
        Assert.Equal("created", events[0].Value);
        Assert.Equal(patched.Metadata?.ResourceVersion, events[1].ResourceVersion);
        Assert.Equal("patched", events[1].Value);
    }

    [Fact]
    public async Task PatchNamespacedConfigMap_MergePatch_ChangesAndRemovesKeys()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("merge", new() { ["keep"] = "1", ["change"] = "old", ["drop"] = "x" }), Namespace, cancellationToken: timeout.Token);
        var patch = new V1Patch("""{"metadata":{"labels":{"patched":"merge"}},"data":{"change":"new","drop":null}}""", V1Patch.PatchType.MergePatch);

        V1ConfigMap patched = await _client.CoreV1.PatchNamespacedConfigMapAsync(patch, "merge", Namespace, cancellationToken: timeout.Token);
        V1ConfigMap read = await _client.CoreV1.ReadNamespacedConfigMapAsync("merge", Namespace, cancellationToken: timeout.Token);

        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["change"] = "new" }, read.Data);
        Assert.Equal("merge", read.Metadata?.Labels?["patched"]);
        Assert.Equal(patched.Metadata?.ResourceVersion, read.Metadata?.ResourceVersion);
    }

    [Fact]
    public async Task PatchNamespacedDeployment_StrategicMergePatch_MergesContainersByName()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("strategic"), Namespace, cancellationToken: timeout.Token);
        // A JSON merge patch would replace the whole containers list; a strategic merge patch merges it by the name key.
        var patch = new V1Patch(
            """{"metadata":{"labels":{"patched":"strategic"}},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}""",
            V1Patch.PatchType.StrategicMergePatch);

        await _client.AppsV1.PatchNamespacedDeploymentAsync(patch, "strategic", Namespace, cancellationToken: timeout.Token);
        V1Deployment read = await _client.AppsV1.ReadNamespacedDeploymentAsync("strategic", Namespace, cancellationToken: timeout.Token);

        IList<V1Container> containers = read.Spec?.Template?.Spec?.Containers ?? [];
        Assert.Equal(["web", "sidecar"], containers.Select(c => c.Name));
        Assert.Equal("nginx:1.28", containers[0].Image);
        Assert.Equal("busybox:1.36", containers[1].Image);
        Assert.Equal("strategic", read.Metadata?.Labels?["patched"]);
    }

    [Fact]
    public async Task ReadNamespacedConfigMap_AfterDelete_ThrowsNotFound()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("deleted"), Namespace, cancellationToken: timeout.Token);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("deleted", Namespace, cancellationToken: timeout.Token);
        HttpOperationException error = await Assert.ThrowsAsync<HttpOperationException>(
            () => _client.CoreV1.ReadNamespacedConfigMapAsync("deleted", Namespace, cancellationToken: timeout.Token));

        Assert.Equal(HttpStatusCode.NotFound, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"NotFound\"", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteNamespacedServiceAndServiceAccount_ReturnTheDeletedObject_AsUpstreamDoes()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        await _client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service { Metadata = new V1ObjectMeta { Name = "gone" }, Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] } },
            Namespace,
            cancellationToken: timeout.Token);
        await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "gone" } }, Namespace, cancellationToken: timeout.Token);

        // The generated client deserializes these bodies as the kind itself; a Status would leave it without a name.
        V1Service service = await _client.CoreV1.DeleteNamespacedServiceAsync("gone", Namespace, cancellationToken: timeout.Token);
        V1ServiceAccount account = await _client.CoreV1.DeleteNamespacedServiceAccountAsync("gone", Namespace, cancellationToken: timeout.Token);

        Assert.Equal(("Service", "gone"), (service.Kind, service.Metadata?.Name));
        Assert.Equal(("ServiceAccount", "gone"), (account.Kind, account.Metadata?.Name));
    }

    [Fact]
    public async Task ReplaceNamespacedConfigMap_StaleResourceVersion_ThrowsConflict()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);
        V1ConfigMap original = await _client.CoreV1.CreateNamespacedConfigMapAsync(ConfigMap("concurrent", new() { ["v"] = "1" }), Namespace, cancellationToken: timeout.Token);
        original.Data = new Dictionary<string, string> { ["v"] = "2" };
        V1ConfigMap current = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(original, "concurrent", Namespace, cancellationToken: timeout.Token);

        // original still carries the resourceVersion the first replace consumed.
        original.Data = new Dictionary<string, string> { ["v"] = "stale" };
        HttpOperationException error = await Assert.ThrowsAsync<HttpOperationException>(
            () => _client.CoreV1.ReplaceNamespacedConfigMapAsync(original, "concurrent", Namespace, cancellationToken: timeout.Token));
        V1ConfigMap read = await _client.CoreV1.ReadNamespacedConfigMapAsync("concurrent", Namespace, cancellationToken: timeout.Token);

        Assert.NotEqual(original.Metadata?.ResourceVersion, current.Metadata?.ResourceVersion);
        Assert.Equal(HttpStatusCode.Conflict, error.Response.StatusCode);
        Assert.Contains("\"reason\":\"Conflict\"", error.Response.Content, StringComparison.Ordinal);
        Assert.Equal("2", read.Data?["v"]);
    }

    [Fact]
    public async Task CreateNamespacedDeployment_MinimalSpec_ReturnsServerDefaults()
    {
        using var timeout = new CancellationTokenSource(s_testTimeout);

        V1Deployment created = await _client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("defaults"), Namespace, cancellationToken: timeout.Token);

        Assert.Equal("RollingUpdate", created.Spec?.Strategy?.Type);
        Assert.Equal("25%", created.Spec?.Strategy?.RollingUpdate?.MaxSurge?.Value);
        Assert.Equal("25%", created.Spec?.Strategy?.RollingUpdate?.MaxUnavailable?.Value);
        Assert.Equal(10, created.Spec?.RevisionHistoryLimit);
        Assert.Equal(600, created.Spec?.ProgressDeadlineSeconds);
        Assert.Equal(1, created.Spec?.Replicas);
    }

    private static async Task<List<(WatchEventType Type, string? ResourceVersion, string? Value)>> CollectUntilDeletedAsync(
        IAsyncEnumerable<(WatchEventType Type, V1ConfigMap Object)> stream)
    {
        var events = new List<(WatchEventType, string?, string?)>();
        await foreach ((WatchEventType type, V1ConfigMap configMap) in stream)
        {
            string? step = null;
            configMap.Data?.TryGetValue("step", out step);
            events.Add((type, configMap.Metadata?.ResourceVersion, step));
            if (type == WatchEventType.Deleted)
            {
                break;
            }
        }

        return events;
    }

    private static List<string> Names(V1ConfigMapList list) =>
        [.. (list.Items ?? []).Select(c => c.Metadata?.Name ?? string.Empty).Order(StringComparer.Ordinal)];

    private static V1ConfigMap ConfigMap(string name, Dictionary<string, string>? data = null, Dictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Data = data,
    };

    private static V1Deployment Deployment(string name) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    Containers =
                    [
                        new V1Container { Name = "web", Image = "nginx:1.27" },
                        new V1Container { Name = "sidecar", Image = "busybox:1.36" },
                    ],
                },
            },
        },
    };
}
