using System.Runtime.Versioning;
using k8s;
using k8s.Models;

namespace Skiff.Tests.Network;

[SupportedOSPlatform("linux")]
[Collection(MultiNodeDefinition.Name)]
public sealed class NetworkPolicyTests(MultiNodeFixture fixture)
{
    [Fact]
    public async Task IngressPolicy_AcrossNodes_AdmitsTheSelectedClientAndDropsTheOther()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "netpol");
        V1Pod web = await scenario.WebAsync("web", scenario.NodeB, new Dictionary<string, string> { ["app"] = "web" });
        await scenario.ClientAsync("friend", scenario.NodeA, new Dictionary<string, string> { ["role"] = "client" });
        await scenario.ClientAsync("stranger", scenario.NodeA);
        string url = $"http://{web.Status.PodIP}/cgi-bin/hostname";
        Assert.Equal("web", await scenario.GetWhenUpAsync("friend", url));
        Assert.Equal("web", await scenario.GetWhenUpAsync("stranger", url));

        await scenario.Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy
        {
            Metadata = new V1ObjectMeta { Name = "web-from-clients" },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                PolicyTypes = ["Ingress"],
                Ingress =
                [
                    new V1NetworkPolicyIngressRule
                    {
                        FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["role"] = "client" } } }],
                        Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 80 }],
                    },
                ],
            },
        }, scenario.Namespace, cancellationToken: scenario.Token);

        Assert.True(await EventuallyDeniedAsync(scenario, "stranger", url), "the stranger still reaches web with the policy in place");
        Assert.Null(await scenario.GetAsync("stranger", url));
        Assert.Equal("web", await scenario.GetAsync("friend", url));

        // The stranger gains the label: the same policy now admits it.
        await scenario.Client.CoreV1.PatchNamespacedPodAsync(
            new V1Patch("""{"metadata":{"labels":{"role":"client"}}}""", V1Patch.PatchType.MergePatch), "stranger", scenario.Namespace, cancellationToken: scenario.Token);
        Assert.Equal("web", await scenario.GetWhenUpAsync("stranger", url));
    }

    private static async Task<bool> EventuallyDeniedAsync(NetworkScenario scenario, string pod, string url)
    {
        for (int attempt = 0; attempt < 30; attempt++)
        {
            if (await scenario.GetAsync(pod, url) is null)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), scenario.Token);
        }

        return false;
    }
}
