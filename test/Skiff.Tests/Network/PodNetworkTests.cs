using System.Net;
using System.Runtime.Versioning;
using k8s;
using k8s.Models;

namespace Skiff.Tests.Network;

[SupportedOSPlatform("linux")]
[Collection(MultiNodeDefinition.Name)]
public sealed class PodNetworkTests(MultiNodeFixture fixture)
{
    [Fact]
    public async Task PodOnNodeA_GetsPodOnNodeBByIp_AndIsAnsweredByThatPod()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "podnet");
        V1Pod web = await scenario.WebAsync("web", scenario.NodeB);
        V1Pod client = await scenario.ClientAsync("client", scenario.NodeA);

        string answer = await scenario.GetWhenUpAsync("client", $"http://{web.Status.PodIP}/cgi-bin/hostname");

        Assert.Equal("web", answer);
        V1Node a = await scenario.Client.CoreV1.ReadNodeAsync(scenario.NodeA, cancellationToken: scenario.Token);
        V1Node b = await scenario.Client.CoreV1.ReadNodeAsync(scenario.NodeB, cancellationToken: scenario.Token);
        Assert.True(IPNetwork.Parse(a.Spec.PodCIDR).Contains(IPAddress.Parse(client.Status.PodIP)), $"client {client.Status.PodIP} outside {a.Spec.PodCIDR}");
        Assert.True(IPNetwork.Parse(b.Spec.PodCIDR).Contains(IPAddress.Parse(web.Status.PodIP)), $"web {web.Status.PodIP} outside {b.Spec.PodCIDR}");
        Assert.NotEqual(a.Spec.PodCIDR, b.Spec.PodCIDR);
    }

    [Fact]
    public async Task KubernetesService_FromAPod_ReachesTheApiServer()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "apisvc");
        await scenario.ClientAsync("client", scenario.NodeB);

        // By ClusterIP and by name: busybox wget speaks TLS without checking the certificate; /version is public.
        V1Service kubernetes = await scenario.Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default", cancellationToken: scenario.Token);
        string byIp = await scenario.GetWhenUpAsync("client", $"https://{kubernetes.Spec.ClusterIP}/version");
        string byName = await scenario.GetWhenUpAsync("client", "https://kubernetes.default.svc.cluster.local/version");

        Assert.Contains("gitVersion", byIp, StringComparison.Ordinal);
        Assert.Contains("gitVersion", byName, StringComparison.Ordinal);
    }
}
