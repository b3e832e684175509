using System.Runtime.Versioning;
using k8s;
using k8s.Models;
using Skiff.TestKit.Network;

namespace Skiff.Tests.Network;

[SupportedOSPlatform("linux")]
[Collection(MultiNodeDefinition.Name)]
public sealed class ServiceTerminationTests(MultiNodeFixture fixture)
{
    private static readonly Dictionary<string, string> Web = new() { ["app"] = "web" };

    [Fact]
    public async Task DeletedBackend_LeavesTheEndpointsBeforeItStops_AndGetsNoRequestAfterwards()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "term");
        await scenario.WebAsync("web-a", scenario.NodeA, Web);
        V1Pod dying = await scenario.WebAsync("web-b", scenario.NodeB, Web, pod =>
        {
            // It keeps serving for 20 s after its deletion: long enough to see whether the proxy still sends it requests.
            pod.Spec.TerminationGracePeriodSeconds = 40;
            pod.Spec.Containers[0].Lifecycle = new V1Lifecycle { PreStop = new V1LifecycleHandler { Exec = new V1ExecAction { Command = ["sleep", "20"] } } };
        });
        V1Service service = await scenario.ServiceAsync("web", Web);
        await scenario.ClientAsync("client", scenario.NodeA);
        string url = $"http://{service.Spec.ClusterIP}/cgi-bin/hostname";
        Assert.Equal(["web-a", "web-b"], (await scenario.AnswerersAsync("client", url, attempts: 60, enough: 2)).Order());

        await scenario.Client.CoreV1.DeleteNamespacedPodAsync("web-b", scenario.Namespace, cancellationToken: scenario.Token);
        await WaitUntilNotReadyEndpointAsync(scenario, dying.Status.PodIP);
        Assert.True(await RunningAsync(scenario, "web-b"), "web-b stopped before its endpoint went");
        // The client's node has dropped web-b from its Service rules (what the proxy wrote is what the kernel uses).
        await WaitUntilRulesDropAsync(fixture.Cluster.Nodes[0], dying.Status.PodIP, scenario.Token);

        var answers = new List<string?>();
        for (int i = 0; i < 20; i++)
        {
            answers.Add(await scenario.GetAsync("client", url));
        }

        Assert.True(await RunningAsync(scenario, "web-b"), "web-b stopped while the requests ran, so they prove nothing");
        Assert.All(answers, answer => Assert.Equal("web-a", answer));
    }

    private static async Task WaitUntilNotReadyEndpointAsync(NetworkScenario scenario, string podIp)
    {
        while (true)
        {
            V1EndpointSliceList slices = await scenario.Client.DiscoveryV1.ListNamespacedEndpointSliceAsync(
                scenario.Namespace, labelSelector: "kubernetes.io/service-name=web", cancellationToken: scenario.Token);
            bool ready = slices.Items
                .SelectMany(s => s.Endpoints ?? [])
                .Any(e => e.Addresses.Contains(podIp) && e.Conditions?.Ready != false);
            if (!ready)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), scenario.Token);
        }
    }

    private static async Task<bool> RunningAsync(NetworkScenario scenario, string name)
    {
        V1Pod pod = await scenario.Client.CoreV1.ReadNamespacedPodAsync(name, scenario.Namespace, cancellationToken: scenario.Token);
        return pod.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null;
    }

    private static async Task WaitUntilRulesDropAsync(NetnsNode node, string podIp, CancellationToken cancellationToken)
    {
        while (true)
        {
            (int code, string rules) = await node.Netns.RunAsync("iptables-save", ["-t", "nat"], cancellationToken);
            if (code == 0 && !rules.Contains(podIp + "/32", StringComparison.Ordinal) && !rules.Contains(podIp + ":", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
