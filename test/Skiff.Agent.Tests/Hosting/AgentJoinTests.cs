using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Hosting;

/// <summary><c>skiff agent</c> joins a <c>skiff server --disable-agent</c> and runs the node there; the server itself runs none.</summary>
public sealed class AgentJoinTests
{
    [Fact]
    public async Task Agent_JoinsServerWithoutAgent_NodeTurnsReady_WithItsOwnNodeCertificates()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        string cidr = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24";
        await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(
            new SkiffServerOptions { ExtraArguments = ["--node-name", "join-server", "--cluster-cidr", cidr, "--node-cidr-mask-size", "24"] }, token);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));

        var data = new AgentDataDirectory("skiff-agent-");
        string nodeName = "joined-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        try
        {
            string joinToken = (await File.ReadAllTextAsync(Path.Combine(server.DataDirectory, "token"), token)).Trim();
            await using ChildProcess agent = SkiffCommand.Dll().Start(
            [
                "agent", "--server", server.Url.ToString(), "--token", joinToken, "--data-dir", data.Root, "--node-name", nodeName,
                "--node-ip", "127.0.0.1", "--kubelet-port", LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
                // Tests share the host: no iptables rules, routes or DNS server on it.
                .. SkiffServerOptions.HostAgentNetworkArguments,
            ]);

            V1Node node = await WaitForAsync(async () =>
            {
                try
                {
                    V1Node n = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: token);
                    return n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true ? n : null;
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    Assert.False(agent.HasExited, agent.Output());
                    return null;
                }
            }, token);

            Assert.Equal(cidr, node.Spec.PodCIDR);
            Assert.False(node.Metadata.Labels.ContainsKey("node-role.kubernetes.io/control-plane"));
            Assert.StartsWith("containerd://", node.Status.NodeInfo.ContainerRuntimeVersion, StringComparison.Ordinal);
            // The kubelet talks to the API as system:node:<name> in system:nodes, and serves 10250 with a CA-signed certificate for its IP.
            using X509Certificate2 clientCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(data.Root, "agent", "node.crt")));
            Assert.Equal($"O=system:nodes, CN=system:node:{nodeName}", clientCertificate.Subject);
            using X509Certificate2 serving = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(data.Root, "agent", "kubelet-serving.crt")));
            using X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(server.DataDirectory, "tls", "ca.crt")));
            Assert.Equal(ca.Subject, serving.Issuer);
            Assert.Contains(serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses()),
                a => a.ToString() == "127.0.0.1");
            Assert.NotNull(data.ContainerdPid());

            // --disable-agent: the server started no containerd and registered no node of its own.
            Assert.False(Directory.Exists(Path.Combine(server.DataDirectory, "agent", "containerd")));
            V1NodeList nodes = await client.CoreV1.ListNodeAsync(cancellationToken: token);
            Assert.DoesNotContain(nodes.Items, n => n.Metadata.Name == "join-server");

            // A clean stop of the agent stops the containerd it started.
            int containerd = data.ContainerdPid() ?? 0;
            Assert.Equal(0, await agent.StopAsync(TimeSpan.FromSeconds(20)));
            Assert.False(Directory.Exists($"/proc/{containerd}") && data.ContainerdPid() == containerd);
        }
        finally
        {
            await data.CleanUpAsync();
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken token)
        where T : class
    {
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(200, token);
        }
    }
}
