using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

/// <summary>
/// The registry as the server composes it (both webhook plugins registered), its watch cache running (the plugins read
/// configurations, namespaces and endpoints from it), namespace "demo", and a real HTTPS webhook server.
/// </summary>
internal sealed class WebhookHarness : IAsyncDisposable
{
    private WebhookHarness(RegistryHarness registry, ApiWatchCache cache, WebhookTestServer server)
    {
        Registry = registry;
        Cache = cache;
        Server = server;
    }

    public RegistryHarness Registry { get; }

    public ApiWatchCache Cache { get; }

    public WebhookTestServer Server { get; }

    public ResourceInfo Mutating => Registry.Resource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");

    public ResourceInfo Validating => Registry.Resource("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");

    public static async Task<WebhookHarness> StartAsync()
    {
        var registry = new RegistryHarness();
        ApiWatchCache cache = registry.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        await cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
        var harness = new WebhookHarness(registry, cache, await WebhookTestServer.StartAsync());
        await registry.CreateNamespaceAsync("demo");
        return harness;
    }

    /// <summary>A webhook entry reached by URL at <paramref name="path"/> on the test server; <paramref name="extra"/> is more JSON members.</summary>
    public string Hook(string name, string path, string rules = Rules.PodsCreate, string extra = "") =>
        $$"""{"name":"{{name}}","clientConfig":{"url":"{{Server.Url(path)}}","caBundle":"{{Server.CaBundle}}"},"rules":[{{rules}}],"sideEffects":"None","admissionReviewVersions":["v1"]{{extra}}}""";

    public async Task CreateMutatingAsync(string name, params string[] hooks)
    {
        await Registry.CreateAsync(Mutating, null, $$"""{"metadata":{"name":"{{name}}"},"webhooks":[{{string.Join(",", hooks)}}]}""");
        await Cache.SyncAsync(CancellationToken.None);
    }

    public async Task CreateValidatingAsync(string name, params string[] hooks)
    {
        await Registry.CreateAsync(Validating, null, $$"""{"metadata":{"name":"{{name}}"},"webhooks":[{{string.Join(",", hooks)}}]}""");
        await Cache.SyncAsync(CancellationToken.None);
    }

    public Task<JsonObject> CreatePodAsync(string name, string labels = "{}", bool dryRun = false, string ns = "demo") =>
        Registry.CreateAsync(Registry.Pods, ns, $$$"""{"metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"spec":{"containers":[{"name":"app","image":"nginx"}]}}""", dryRun);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Cache.StopAsync(CancellationToken.None);
        await Registry.DisposeAsync();
    }

    /// <summary>Common rules.</summary>
    public static class Rules
    {
        public const string PodsCreate = """{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}""";
    }
}
