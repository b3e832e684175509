using System.Diagnostics;
using k8s;
using k8s.Models;
using Skiff.ControlPlane.Controllers;
using Skiff.TestKit.Etcd;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;
using Xunit.Abstractions;

namespace Skiff.ControlPlane.Tests.Controllers;

/// <summary>
/// High availability of the controller manager: two real <c>skiff server</c> processes share one real etcd. Only the Lease
/// holder's controllers act; when it is killed (SIGKILL, so it cannot release the Lease) the other takes the Lease over after
/// the lease duration and its controllers carry on.
/// </summary>
public sealed class ControllerManagerTakeoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task TwoServersOnOneEtcd_OneLeads_AndWhenItIsKilledTheOtherTakesOverAndActs()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        CancellationToken token = timeout.Token;
        await using EtcdProcess etcd = await EtcdProcess.StartAsync(token);
        string[] arguments = ["--datastore-endpoint", etcd.DatastoreEndpoint];
        await using SkiffServerProcess first = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = arguments }, token);
        await using SkiffServerProcess second = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = arguments }, token);
        SkiffServerProcess[] servers = [first, second];

        using Kubernetes viaFirst = Client(first);
        V1Lease lease = await WaitForHolderAsync(viaFirst, current => current is not null, token);
        string leaderIdentity = lease.Spec.HolderIdentity;
        // The Lease is written before the new leader logs that it leads, so the log line may come a moment later.
        SkiffServerProcess leader = await WaitForLeaderLineAsync(servers, leaderIdentity, token);
        SkiffServerProcess standby = servers.Single(s => s != leader);
        using Kubernetes viaStandby = Client(standby);

        // One leader acts: exactly the declared number of pods, never twice as many.
        await viaStandby.AppsV1.CreateNamespacedReplicaSetAsync(ReplicaSet("ha", 3), "default", cancellationToken: token);
        await WaitUntilAsync(async () => (await PodsAsync(viaStandby, token)).Count == 3, token);
        await Task.Delay(TimeSpan.FromSeconds(2), token);
        Assert.Equal(3, (await PodsAsync(viaStandby, token)).Count);
        Assert.DoesNotContain("leads the controller manager", standby.Output(), StringComparison.Ordinal);

        var sinceKill = Stopwatch.StartNew();
        Assert.True(PosixSignal.Send(leader.Pid, 9), "SIGKILL the leader");
        V1Lease taken = await WaitForHolderAsync(viaStandby, holder => holder is not null && holder != leaderIdentity, token);
        TimeSpan takeover = sinceKill.Elapsed;
        output.WriteLine($"The standby took the Lease {takeover.TotalSeconds:F1} s after the leader was killed (lease duration {LeaseDuration.TotalSeconds} s).");
        Assert.Same(standby, await WaitForLeaderLineAsync(servers, taken.Spec.HolderIdentity, token));
        // At most one lease duration after the leader's last renewal, plus the standby's retry period and scheduling slack.
        Assert.True(takeover < LeaseDuration + RetryPeriod + TimeSpan.FromSeconds(8), $"takeover took {takeover}");

        // The new leader's controllers act: scaling up creates the missing pods.
        await viaStandby.AppsV1.PatchNamespacedReplicaSetScaleAsync(
            new V1Patch("{\"spec\":{\"replicas\":5}}", V1Patch.PatchType.MergePatch), "ha", "default", cancellationToken: token);
        await WaitUntilAsync(async () => (await PodsAsync(viaStandby, token)).Count == 5, token);
    }

    private static async Task<SkiffServerProcess> WaitForLeaderLineAsync(SkiffServerProcess[] servers, string identity, CancellationToken token)
    {
        string line = identity + " leads the controller manager";
        while (true)
        {
            SkiffServerProcess? leading = servers.SingleOrDefault(s => s.Output().Contains(line, StringComparison.Ordinal));
            if (leading is not null)
            {
                return leading;
            }

            await Task.Delay(100, token);
        }
    }

    private static Kubernetes Client(SkiffServerProcess server) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));

    private static async Task<List<V1Pod>> PodsAsync(Kubernetes client, CancellationToken token) =>
        [.. (await client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=ha", cancellationToken: token)).Items];

    private static async Task<V1Lease> WaitForHolderAsync(Kubernetes client, Func<string?, bool> holder, CancellationToken token)
    {
        while (true)
        {
            try
            {
                V1Lease lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(
                    ControllerManager.LeaseName, ControllerManager.LeaseNamespace, cancellationToken: token);
                if (holder(lease.Spec?.HolderIdentity))
                {
                    return lease;
                }
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // Nobody has taken it yet.
            }

            await Task.Delay(200, token);
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken token)
    {
        while (!await condition())
        {
            await Task.Delay(200, token);
        }
    }

    private static V1ReplicaSet ReplicaSet(string name, int replicas) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ReplicaSetSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx:1.27" }] },
            },
        },
    };
}
