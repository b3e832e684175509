using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Admission.Webhooks;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

public sealed class ServiceEndpointResolverTests : IAsyncLifetime
{
    private WebhookHarness _h = null!;

    public async Task InitializeAsync() => _h = await WebhookHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private ServiceEndpointResolver Resolver => _h.Registry.Provider.GetRequiredService<ServiceEndpointResolver>();

    [Fact]
    public async Task Resolve_ServiceWithReadyEndpoint_GivesThePodAddressAndTargetPort()
    {
        await CreateServiceAsync(targetPort: 8443, ready: ["10.42.0.7"], notReady: ["10.42.0.6"]);

        IPEndPoint endpoint = Resolver.Resolve("demo", "webhook", 443);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.42.0.7"), 8443), endpoint);
    }

    [Fact]
    public async Task Resolve_NoReadyEndpointOrUnknownPortOrService_FailsWithUpstreamsReason()
    {
        await CreateServiceAsync(targetPort: 8443, ready: [], notReady: ["10.42.0.6"]);

        Assert.Equal("no endpoints available for service \"webhook\"", Assert.Throws<WebhookCallException>(() => Resolver.Resolve("demo", "webhook", 443)).Message);
        Assert.Equal("no service port 444 found for service \"webhook\"", Assert.Throws<WebhookCallException>(() => Resolver.Resolve("demo", "webhook", 444)).Message);
        Assert.Equal("service \"missing\" not found", Assert.Throws<WebhookCallException>(() => Resolver.Resolve("demo", "missing", 443)).Message);
    }

    [Fact]
    public async Task CreatePod_WebhookBehindService_IsReachedAtItsEndpointAndVerifiedAsTheServiceName()
    {
        await CreateServiceAsync(targetPort: _h.Server.Port, ready: ["127.0.0.1"], notReady: []);
        _h.Server.On("/mutate", review => WebhookTestServer.Allow(review, """[{"op":"add","path":"/metadata/labels/via","value":"service"}]"""));
        await _h.CreateMutatingAsync("service", $$"""{"name":"svc.skiff.test","clientConfig":{"service":{"name":"webhook","namespace":"demo","path":"/mutate"},"caBundle":"{{_h.Server.CaBundle}}"},"rules":[{{WebhookHarness.Rules.PodsCreate}}],"sideEffects":"None","admissionReviewVersions":["v1"]}""");

        JsonObject pod = await _h.CreatePodAsync("web");

        Assert.Equal("service", pod["metadata"]!["labels"]!["via"]!.GetValue<string>());
    }

    private async Task CreateServiceAsync(int targetPort, string[] ready, string[] notReady)
    {
        await _h.Registry.CreateAsync(_h.Registry.Services, "demo",
            """{"metadata":{"name":"webhook"},"spec":{"selector":{"app":"webhook"},"ports":[{"name":"https","port":443,"targetPort":"https"}]}}""");
        var endpoints = new JsonArray();
        foreach (string address in ready)
        {
            endpoints.Add(new JsonObject { ["addresses"] = new JsonArray(address), ["conditions"] = new JsonObject { ["ready"] = true } });
        }

        foreach (string address in notReady)
        {
            endpoints.Add(new JsonObject { ["addresses"] = new JsonArray(address), ["conditions"] = new JsonObject { ["ready"] = false } });
        }

        var slice = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "webhook-abcde", ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "webhook" } },
            ["addressType"] = "IPv4",
            ["endpoints"] = endpoints,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = targetPort, ["protocol"] = "TCP" }),
        };
        await _h.Registry.Registry.CreateAsync(_h.Registry.Resource("discovery.k8s.io", "v1", "endpointslices"), "demo", slice, RegistryHarness.Write(), CancellationToken.None);
        await _h.Registry.Provider.GetRequiredService<ApiWatchCache>().SyncAsync(CancellationToken.None);
    }
}
