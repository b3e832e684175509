using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Agent.Hollow;

namespace Skiff.ControlPlane.Tests.Hollow;

/// <summary>The hollow-node simulation (for scale tests and benchmarks) against a real server: nodes, leases, fake runtime.</summary>
public sealed class HollowNodesServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    [Fact]
    public async Task HollowNodes_RegisterReadyNodesWithLeases_RunBoundPods_AndFinishTheirDeletion()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using HollowNodes nodes = await HollowNodes.StartAsync(
            client, new HollowNodeOptions { Count = 3, NamePrefix = "hn", Cpu = "8", LeaseRenewInterval = TimeSpan.FromSeconds(1) }, token);

        V1NodeList listed = await client.CoreV1.ListNodeAsync(labelSelector: HollowNodes.Label + "=true", cancellationToken: token);
        Assert.Equal(["hn-0", "hn-1", "hn-2"], listed.Items.Select(n => n.Metadata.Name).Order(StringComparer.Ordinal));
        Assert.All(listed.Items, n =>
        {
            Assert.Equal("True", n.Status.Conditions.Single(c => c.Type == "Ready").Status);
            Assert.Equal("8", n.Status.Allocatable["cpu"].ToString());
        });
        V1Lease first = await client.CoordinationV1.ReadNamespacedLeaseAsync("hn-0", "kube-node-lease", cancellationToken: token);
        await WaitUntilAsync(async () =>
            (await client.CoordinationV1.ReadNamespacedLeaseAsync("hn-0", "kube-node-lease", cancellationToken: token)).Spec.RenewTime > first.Spec.RenewTime, token);

        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "on-hollow" },
            Spec = new V1PodSpec { NodeName = "hn-1", Containers = [new V1Container { Name = "c", Image = "nginx:1.27" }] },
        };
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: token);
        V1Pod running = await WaitForAsync(async () =>
        {
            V1Pod p = await client.CoreV1.ReadNamespacedPodAsync("on-hollow", "default", cancellationToken: token);
            return p.Status?.Phase == "Running" ? p : null;
        }, token);
        Assert.False(string.IsNullOrEmpty(running.Status.PodIP));
        Assert.Equal("True", running.Status.Conditions.Single(c => c.Type == "Ready").Status);

        // A scheduled pod's graceful delete waits for its kubelet; the hollow one finishes it at once.
        await client.CoreV1.DeleteNamespacedPodAsync("on-hollow", "default", cancellationToken: token);
        await WaitUntilAsync(async () =>
        {
            try
            {
                await client.CoreV1.ReadNamespacedPodAsync("on-hollow", "default", cancellationToken: token);
                return false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return true;
            }
        }, token);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken token) =>
        await WaitForAsync(async () => await condition() ? new object() : null, token);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken token)
        where T : class
    {
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100, token);
        }
    }
}
