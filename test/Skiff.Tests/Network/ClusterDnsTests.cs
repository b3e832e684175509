using System.Runtime.Versioning;
using k8s;
using k8s.Models;

namespace Skiff.Tests.Network;

[SupportedOSPlatform("linux")]
[Collection(MultiNodeDefinition.Name)]
public sealed class ClusterDnsTests(MultiNodeFixture fixture)
{
    [Fact]
    public async Task HeadlessStatefulSet_AnswersPodRecordsServiceRecordsAndSrv()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "dns");
        var labels = new Dictionary<string, string> { ["app"] = "db" };
        await scenario.ServiceAsync("db", labels, clusterIp: "None");
        V1Pod template = scenario.Pod("unused", "", "httpd", labels);
        template.Spec.NodeName = null;
        template.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, Name = "http" }];
        await scenario.Client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1StatefulSetSpec
            {
                ServiceName = "db",
                Replicas = 2,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = template.Spec },
            },
        }, scenario.Namespace, cancellationToken: scenario.Token);
        await scenario.ClientAsync("client", scenario.NodeA);
        V1Pod db0 = await scenario.ReadyAsync("db-0");
        V1Pod db1 = await scenario.ReadyAsync("db-1");
        string domain = $"db.{scenario.Namespace}.svc.cluster.local";

        string pod0 = await scenario.LookupUntilAsync("client", o => o.Contains(db0.Status.PodIP, StringComparison.Ordinal), $"db-0.{domain}");
        string service = await scenario.LookupUntilAsync(
            "client", o => o.Contains(db0.Status.PodIP, StringComparison.Ordinal) && o.Contains(db1.Status.PodIP, StringComparison.Ordinal), domain);
        string srv = await scenario.LookupUntilAsync("client", o => o.Contains($"db-1.{domain}", StringComparison.Ordinal), "-type=SRV", $"_http._tcp.{domain}");

        Assert.DoesNotContain(db1.Status.PodIP, pod0, StringComparison.Ordinal);
        Assert.Contains(db1.Status.PodIP, service, StringComparison.Ordinal);
        Assert.Contains($"db-0.{domain}", srv, StringComparison.Ordinal);
        Assert.Contains(" 80 ", srv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExternalName_IsForwardedToTheNodesUpstreamResolver()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "extdns");
        await scenario.ClientAsync("client", scenario.NodeB);

        string answer = await scenario.LookupUntilAsync(
            "client", o => o.Contains(MultiNodeFixture.ExternalAddress.ToString(), StringComparison.Ordinal), MultiNodeFixture.ExternalName + ".");

        Assert.Contains(MultiNodeFixture.ExternalName, fixture.Cluster.Upstream.Queries);
        (int code, string unknown) = await scenario.LookupAsync("client", "nowhere.skiff-test.example.");
        Assert.True(code != 0 || unknown.Contains("NXDOMAIN", StringComparison.Ordinal), unknown);
        Assert.Contains(MultiNodeFixture.ExternalAddress.ToString(), answer, StringComparison.Ordinal);
    }
}
