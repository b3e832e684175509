using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Agent.Hollow;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>
/// The scheduler with upstream's default profile against a real server whose nodes are hollow (a simulation: Node objects,
/// leases and a fake runtime). Pods with requests spread over the nodes that fit; one that fits nowhere stays Pending with
/// upstream's FailedScheduling message, and is scheduled once a node that fits is added.
/// </summary>
public sealed class SchedulerRunnerServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task DefaultProfile_SpreadsPodsByRequests_ReportsWhatFitsNowhere_AndSchedulesItWhenANodeArrives()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using HollowNodes small = await HollowNodes.StartAsync(client, new HollowNodeOptions { Count = 3, NamePrefix = "sched", Cpu = "2", Memory = "4Gi" }, token);
        using var events = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance);
        var runner = new SchedulerRunner(client, events, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task running = runner.RunAsync(stop.Token);

        for (int i = 0; i < 6; i++)
        {
            await client.CoreV1.CreateNamespacedPodAsync(Pod($"fit-{i}", "600m"), Namespace, cancellationToken: token);
        }

        List<V1Pod> placed = await WaitForAsync(async () =>
        {
            List<V1Pod> pods = await PodsAsync(client, "fit-", token);
            return pods.All(p => p.Status?.Phase == "Running") && pods.Count == 6 ? pods : null;
        }, token);
        // LeastAllocated and BalancedAllocation spread equal pods: two per node, never three (3 x 600m > 2 cpu anyway).
        Assert.All(placed.GroupBy(p => p.Spec.NodeName), node => Assert.Equal(2, node.Count()));
        Assert.Equal(3, placed.Select(p => p.Spec.NodeName).Distinct().Count());

        await client.CoreV1.CreateNamespacedPodAsync(Pod("too-big", "3"), Namespace, cancellationToken: token);
        V1PodCondition unschedulable = await WaitForAsync(async () =>
        {
            V1Pod pod = await client.CoreV1.ReadNamespacedPodAsync("too-big", Namespace, cancellationToken: token);
            return pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        }, token);
        Assert.Equal("Unschedulable", unschedulable.Reason);
        Assert.StartsWith("0/3 nodes are available: 3 Insufficient cpu.", unschedulable.Message, StringComparison.Ordinal);
        await events.FlushAsync(token);
        Corev1Event failed = Assert.Single((await client.CoreV1.ListNamespacedEventAsync(
            Namespace, fieldSelector: "involvedObject.name=too-big,reason=FailedScheduling", cancellationToken: token)).Items);
        Assert.Equal(("Warning", "default-scheduler"), (failed.Type, failed.Source.Component));

        await using HollowNodes big = await HollowNodes.StartAsync(client, new HollowNodeOptions { Count = 1, NamePrefix = "sched-big", Cpu = "8", Memory = "16Gi" }, token);
        V1Pod scheduled = await WaitForAsync(async () =>
        {
            V1Pod pod = await client.CoreV1.ReadNamespacedPodAsync("too-big", Namespace, cancellationToken: token);
            return pod.Status?.Phase == "Running" ? pod : null;
        }, token);
        Assert.Equal("sched-big-0", scheduled.Spec.NodeName);

        await stop.CancelAsync();
        await running;
    }

    private static async Task<List<V1Pod>> PodsAsync(Kubernetes client, string prefix, CancellationToken token) =>
        [.. (await client.CoreV1.ListNamespacedPodAsync(Namespace, cancellationToken: token)).Items.Where(p => p.Metadata.Name.StartsWith(prefix, StringComparison.Ordinal))];

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

    private static V1Pod Pod(string name, string cpu) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "c",
                    Image = "nginx:1.27",
                    Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new("64Mi") } },
                },
            ],
        },
    };
}
