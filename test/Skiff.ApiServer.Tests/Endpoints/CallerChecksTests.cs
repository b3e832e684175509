using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.Endpoints;

/// <summary>
/// Handler checks that depend on who calls, through the API handler with client certificates and the server's hosted services
/// (watch cache, default RBAC policy): a node's evictions, and server-side apply creating an object.
/// </summary>
public sealed class CallerChecksTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();
    private IHostedService[] _services = [];
    private ApiHandler _handler = null!;

    public async Task InitializeAsync()
    {
        _services = [.. _harness.Provider.GetServices<IHostedService>()];
        foreach (IHostedService service in _services)
        {
            await service.StartAsync(CancellationToken.None);
        }

        await _services.OfType<ClusterBootstrap>().Single().Done.WaitAsync(TimeSpan.FromSeconds(30));
        _handler = _harness.Provider.GetRequiredService<ApiHandler>();
        await _harness.CreateNamespaceAsync("team");
        foreach (string node in new[] { "a", "b" })
        {
            await _harness.CreateAsync(_harness.Resource("", "v1", "nodes"), null, $$$"""{"metadata":{"name":"{{{node}}}"}}""");
            await _harness.CreateAsync(_harness.Pods, "team", $$$"""{"metadata":{"name":"on-{{{node}}}"},"spec":{"nodeName":"{{{node}}}","containers":[{"name":"c","image":"busybox"}]}}""");
        }

        // The authorizers read the policy and the node graph from the watch cache.
        await _harness.Provider.GetRequiredService<Skiff.ApiServer.WatchCache.ApiWatchCache>().SyncAsync(CancellationToken.None);
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (IHostedService service in _services.Reverse())
        {
            await service.StopAsync(CancellationToken.None);
        }

        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task Evict_ByNode_OwnPodGoesOtherNodesPodIsForbidden()
    {
        const string Eviction = """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"NAME","namespace":"team"}}""";

        (int otherCode, JsonObject other) = await SendAsync("system:node:a", "system:nodes", "POST", "/api/v1/namespaces/team/pods/on-b/eviction", Eviction.Replace("NAME", "on-b", StringComparison.Ordinal));
        (int ownCode, _) = await SendAsync("system:node:a", "system:nodes", "POST", "/api/v1/namespaces/team/pods/on-a/eviction", Eviction.Replace("NAME", "on-a", StringComparison.Ordinal));

        Assert.Equal(403, otherCode);
        Assert.Equal("pods \"on-b\" is forbidden: node a can only evict pods with spec.nodeName set to itself", other["message"]!.GetValue<string>());
        Assert.Equal(201, ownCode);
        Assert.Null((await _harness.GetAsync(_harness.Pods, "team", "on-b"))["metadata"]!["deletionTimestamp"]);
        // A pod bound to a node is deleted gracefully: it stays, marked, until the node confirms.
        Assert.NotNull((await _harness.GetAsync(_harness.Pods, "team", "on-a"))["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task Apply_CreatingWithPatchOnly_IsForbiddenAndCreatesNothing()
    {
        await _harness.CreateAsync(_harness.Resource("rbac.authorization.k8s.io", "v1", "roles"), "team", """{"metadata":{"name":"patcher"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","patch"]}]}""");
        await _harness.CreateAsync(_harness.Resource("rbac.authorization.k8s.io", "v1", "rolebindings"), "team", """
            {"metadata":{"name":"jane-patcher"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"patcher"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """);
        await _harness.Provider.GetRequiredService<Skiff.ApiServer.WatchCache.ApiWatchCache>().SyncAsync(CancellationToken.None);

        (int code, JsonObject answer) = await SendAsync("jane", "devs", "PATCH", "/api/v1/namespaces/team/configmaps/new?fieldManager=kubectl", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"new"},"data":{"k":"v"}}""", "application/apply-patch+yaml");

        Assert.Equal(403, code);
        Assert.StartsWith("configmaps \"new\" is forbidden", answer["message"]!.GetValue<string>(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<Skiff.Machinery.Errors.StatusException>(() => _harness.GetAsync(_harness.Resource("", "v1", "configmaps"), "team", "new"));
    }

    [Fact]
    public async Task ListSecrets_PinnedByFieldSelectorToOneItsPodMounts_IsAllowedToThatNodeOnly()
    {
        await _harness.CreateAsync(_harness.Resource("", "v1", "secrets"), "team", """{"metadata":{"name":"mounted"},"data":{"k":"dg=="}}""");
        await _harness.CreateAsync(_harness.Pods, "team", """
            {"metadata":{"name":"with-secret"},"spec":{"nodeName":"a","volumes":[{"name":"s","secret":{"secretName":"mounted"}}],
             "containers":[{"name":"c","image":"busybox"}]}}
            """);
        await _harness.Provider.GetRequiredService<Skiff.ApiServer.WatchCache.ApiWatchCache>().SyncAsync(CancellationToken.None);
        const string Pinned = "/api/v1/namespaces/team/secrets?fieldSelector=metadata.name%3Dmounted";

        (int ownCode, JsonObject own) = await SendAsync("system:node:a", "system:nodes", "GET", Pinned, "");
        (int otherCode, JsonObject other) = await SendAsync("system:node:b", "system:nodes", "GET", Pinned, "");
        (int allCode, _) = await SendAsync("system:node:a", "system:nodes", "GET", "/api/v1/namespaces/team/secrets", "");

        // As upstream's kubelet watches each secret it mounts: the selector names the object the authorizers check.
        Assert.Equal(200, ownCode);
        Assert.Equal("mounted", own["items"]![0]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal(403, otherCode);
        Assert.StartsWith("secrets \"mounted\" is forbidden: User \"system:node:b\" cannot list resource \"secrets\"", other["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(403, allCode);
    }

    private async Task<(int Code, JsonObject Body)> SendAsync(string user, string group, string method, string path, string body, string contentType = "application/json")
    {
        using var key = ECDsa.Create();
        using X509Certificate2 certificate = new CertificateRequest($"CN={user}, O={group}", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(RegistryHarness.Start.AddDays(-1), RegistryHarness.Start.AddDays(30));
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        int query = path.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = query < 0 ? path : path[..query];
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(path[query..]);
        context.Connection.ClientCertificate = certificate;
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Response.Body = new MemoryStream();
        await _handler.HandleAsync(context);
        return (context.Response.StatusCode, JsonNode.Parse(Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()))!.AsObject());
    }
}
