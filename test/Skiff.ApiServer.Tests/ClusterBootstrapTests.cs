using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Cluster;

namespace Skiff.ApiServer.Tests;

/// <summary>What a fresh cluster holds after the API server's bootstrap, with non-default network settings.</summary>
public sealed class ClusterBootstrapTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new(o =>
    {
        o.ServiceCidr = IPNetwork.Parse("10.96.0.0/16");
        o.ClusterCidr = IPNetwork.Parse("10.77.0.0/16");
        o.ClusterDns = IPAddress.Parse("10.96.0.53");
        o.ClusterDomain = "skiff.test";
        o.AdvertiseAddress = IPAddress.Parse("192.0.2.10");
        o.SecurePort = 7443;
    });

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Bootstrap_CreatesKubeDnsAtTheClusterDnsAddress_WithoutASelector()
    {
        await BootstrapAsync(async () =>
        {
            JsonObject service = await _harness.GetAsync(_harness.Services, "kube-system", "kube-dns");

            Assert.Equal("10.96.0.53", (string?)service["spec"]!["clusterIP"]);
            Assert.Null(service["spec"]!["selector"]);
            Assert.Equal("ClusterIP", (string?)service["spec"]!["type"]);
            Assert.Equal(
                "dns/53/UDP/53,dns-tcp/53/TCP/53",
                string.Join(",", service["spec"]!["ports"]!.AsArray().Select(p => $"{p!["name"]}/{p["port"]}/{p["protocol"]}/{p["targetPort"]}")));
            Assert.Equal("kube-dns", (string?)service["metadata"]!["labels"]!["k8s-app"]);
        });
    }

    [Fact]
    public async Task Bootstrap_WritesTheClusterNetworkConfigMap_ThatClusterNetworkReadsBack()
    {
        await BootstrapAsync(async () =>
        {
            JsonObject map = await _harness.GetAsync(_harness.ConfigMaps, ClusterNetwork.ConfigMapNamespace, ClusterNetwork.ConfigMapName);
            Dictionary<string, string> data = map["data"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!);

            ClusterNetwork network = ClusterNetwork.FromData(data);

            Assert.Equal(
                new ClusterNetwork
                {
                    ClusterCidr = IPNetwork.Parse("10.77.0.0/16"),
                    ServiceCidr = IPNetwork.Parse("10.96.0.0/16"),
                    ClusterDns = IPAddress.Parse("10.96.0.53"),
                    ClusterDomain = "skiff.test",
                },
                network);
        });
    }

    [Fact]
    public async Task Bootstrap_CreatesTheKubernetesServiceEndpointSlice_AtTheAdvertisedAddress()
    {
        await BootstrapAsync(async () =>
        {
            JsonObject slice = await _harness.GetAsync(_harness.Resource("discovery.k8s.io", "v1", "endpointslices"), "default", "kubernetes");
            JsonObject service = await _harness.GetAsync(_harness.Services, "default", "kubernetes");

            Assert.Equal("kubernetes", (string?)slice["metadata"]!["labels"]!["kubernetes.io/service-name"]);
            Assert.Equal("IPv4", (string?)slice["addressType"]);
            JsonNode endpoint = Assert.Single(slice["endpoints"]!.AsArray())!;
            Assert.Equal("192.0.2.10", (string?)Assert.Single(endpoint["addresses"]!.AsArray()));
            Assert.True((bool?)endpoint["conditions"]!["ready"]);
            JsonNode port = Assert.Single(slice["ports"]!.AsArray())!;
            Assert.Equal(("https", 7443, "TCP"), ((string?)port["name"], (int?)port["port"], (string?)port["protocol"]));
            Assert.Equal("10.96.0.1", (string?)service["spec"]!["clusterIP"]);
        });
    }

    // Runs the hosted services (the bootstrap among them) as the server does, until the bootstrap objects exist.
    private async Task BootstrapAsync(Func<Task> assert)
    {
        IHostedService[] services = [.. _harness.Provider.GetServices<IHostedService>()];
        foreach (IHostedService service in services)
        {
            await service.StartAsync(CancellationToken.None);
        }

        try
        {
            await services.OfType<ClusterBootstrap>().Single().Done.WaitAsync(TimeSpan.FromSeconds(30));
            await assert();
        }
        finally
        {
            foreach (IHostedService service in services.Reverse())
            {
                await service.StopAsync(CancellationToken.None);
            }
        }
    }
}
