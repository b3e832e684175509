using System.Runtime.Versioning;
using k8s;
using k8s.Models;

namespace Skiff.Tests.Network;

[SupportedOSPlatform("linux")]
[Collection(MultiNodeDefinition.Name)]
public sealed class ServiceTests(MultiNodeFixture fixture)
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };

    [Fact]
    public async Task ClusterIpService_ByAddressAndByDnsName_IsAnsweredByBackendsOnBothNodes()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "svc");
        await scenario.WebAsync("web-a", scenario.NodeA, Web);
        await scenario.WebAsync("web-b", scenario.NodeB, Web);
        V1Service service = await scenario.ServiceAsync("web", Web);
        await scenario.ClientAsync("client", scenario.NodeA);
        string byIp = $"http://{service.Spec.ClusterIP}/cgi-bin/hostname";
        string byName = $"http://web.{scenario.Namespace}.svc.cluster.local/cgi-bin/hostname";
        await scenario.GetWhenUpAsync("client", byIp);

        HashSet<string> viaIp = await scenario.AnswerersAsync("client", byIp, attempts: 40, enough: 2);
        HashSet<string> viaName = await scenario.AnswerersAsync("client", byName, attempts: 40, enough: 2);
        HashSet<string> viaShortName = await scenario.AnswerersAsync("client", "http://web/cgi-bin/hostname", attempts: 40, enough: 1);

        Assert.Equal(["web-a", "web-b"], viaIp.Order());
        Assert.Equal(["web-a", "web-b"], viaName.Order());
        Assert.Single(viaShortName);
    }

    [Fact]
    public async Task NodePortService_FromTheTestProcess_AnswersOnEveryNodeAddress()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "nodeport");
        await scenario.WebAsync("web-b", scenario.NodeB, Web);
        V1Service service = await scenario.ServiceAsync("web", Web, type: "NodePort");
        int nodePort = service.Spec.Ports[0].NodePort ?? throw new InvalidOperationException("no nodePort allocated");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var node in fixture.Cluster.Nodes)
        {
            string answer = await GetWhenUpAsync(http, new Uri($"http://{node.Address}:{nodePort}/cgi-bin/hostname"), scenario.Token);
            Assert.Equal("web-b", answer);
        }
    }

    [Fact]
    public async Task LoadBalancerService_GetsAnIpFromThePool_ThatAnswersFromOutsideTheCluster()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "lb");
        await scenario.WebAsync("web-b", scenario.NodeB, Web);
        V1Service service = await scenario.ServiceAsync("web", Web, type: "LoadBalancer");

        string ip = await LoadBalancerIpAsync(scenario, service.Metadata.Name);
        Assert.True(fixture.Cluster.LoadBalancerPool.Contains(System.Net.IPAddress.Parse(ip)), $"{ip} is outside {fixture.Cluster.LoadBalancerPool}");
        string? answer = null;
        for (int attempt = 0; attempt < 40 && answer != "web-b"; attempt++)
        {
            (int code, string output) = await fixture.Cluster.External.RunAsync("busybox", ["timeout", "3", "busybox", "wget", "-q", "-O-", $"http://{ip}/cgi-bin/hostname"], scenario.Token);
            answer = code == 0 ? output.Trim() : output;
            if (answer != "web-b")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), scenario.Token);
            }
        }

        Assert.Equal("web-b", answer);
    }

    private static async Task<string> LoadBalancerIpAsync(NetworkScenario scenario, string name)
    {
        while (true)
        {
            V1Service service = await scenario.Client.CoreV1.ReadNamespacedServiceAsync(name, scenario.Namespace, cancellationToken: scenario.Token);
            if (service.Status?.LoadBalancer?.Ingress?.FirstOrDefault()?.Ip is { Length: > 0 } ip)
            {
                return ip;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), scenario.Token);
        }
    }

    private static async Task<string> GetWhenUpAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return (await http.GetStringAsync(url, cancellationToken)).Trim();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && attempt < 40 && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }
}
