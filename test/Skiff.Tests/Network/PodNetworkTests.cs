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
    public async Task KubernetesService_FromAPod_ReachesTheApiServerByIpAndName()
    {
        await using NetworkScenario scenario = await NetworkScenario.StartAsync(fixture.Cluster, "apisvc");
        // busybox's TLS client cannot talk to the server's ECDSA certificate, so the pod gets the host's kubectl (a static Go binary).
        string kubectl = new FileInfo("/usr/bin/kubectl").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "/usr/bin/kubectl";
        V1Pod client = scenario.Pod("client", scenario.NodeB, "shell", null);
        client.Spec.Volumes = [new V1Volume { Name = "kubectl", HostPath = new V1HostPathVolumeSource { Path = kubectl, Type = "File" } }];
        client.Spec.Containers[0].VolumeMounts = [new V1VolumeMount { Name = "kubectl", MountPath = "/usr/local/bin/kubectl", ReadOnlyProperty = true }];
        await scenario.RunAsync(client);
        V1Service kubernetes = await scenario.Client.CoreV1.ReadNamespacedServiceAsync("kubernetes", "default", cancellationToken: scenario.Token);

        // By ClusterIP and by name, checking the server's certificate against the cluster CA the pod was given.
        string byIp = await InClusterGetAsync(scenario, $"https://{kubernetes.Spec.ClusterIP}", "/version");
        string byName = await InClusterGetAsync(scenario, "https://kubernetes.default.svc.cluster.local", "/version");

        Assert.Contains("gitVersion", byIp, StringComparison.Ordinal);
        Assert.Contains("gitVersion", byName, StringComparison.Ordinal);
    }

    private static async Task<string> InClusterGetAsync(NetworkScenario scenario, string server, string path)
    {
        const string Account = "/var/run/secrets/kubernetes.io/serviceaccount";
        string script = $"kubectl get --raw {path} --server {server} --certificate-authority {Account}/ca.crt --token \"$(cat {Account}/token)\" --request-timeout 5s";
        (int code, string output) = (1, "");
        for (int attempt = 0; attempt < 20 && code != 0; attempt++)
        {
            (code, output) = await scenario.Cluster.ExecAsync(scenario.Namespace, "client", ["sh", "-c", script], scenario.Token);
        }

        Assert.True(code == 0, $"{server}{path} from the pod: {output}");
        return output;
    }
}
