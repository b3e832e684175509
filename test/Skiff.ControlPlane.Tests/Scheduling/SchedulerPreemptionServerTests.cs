using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Agent.Hollow;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>
/// Preemption against a real server with a hollow node: a high-priority pod that fits only if a low-priority one goes evicts
/// one (sparing the pod a PodDisruptionBudget protects), is nominated to the node, and runs there once its victim is gone.
/// </summary>
public sealed class SchedulerPreemptionServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task HighPriorityPod_PreemptsALowPriorityPodNotProtectedByAPdb_IsNominated_AndRunsThere()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using HollowNodes node = await HollowNodes.StartAsync(client, new HollowNodeOptions { Count = 1, NamePrefix = "preempt", Cpu = "2", Memory = "4Gi" }, token);
        using var events = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance);

        // No disruption controller runs here, so the budget's status says no disruption is allowed.
        await client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = "guarded" },
            Spec = new V1PodDisruptionBudgetSpec { MinAvailable = 1, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "guarded" } } },
        }, Namespace, cancellationToken: token);
        var runner = new SchedulerRunner(client, events, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task running = runner.RunAsync(stop.Token);

        // Two low-priority pods fill the node. The guarded one starts later, so without its PDB it would be the one evicted
        // (equal priority: the pod that started last is the least important).
        await client.CoreV1.CreateNamespacedPodAsync(Pod("low-plain", "1"), Namespace, cancellationToken: token);
        await WaitForAsync(async () => await RunningAsync(client, "low-plain", token), token);
        await Task.Delay(TimeSpan.FromSeconds(1.1), token);
        await client.CoreV1.CreateNamespacedPodAsync(Pod("low-guarded", "1", app: "guarded"), Namespace, cancellationToken: token);
        await WaitForAsync(async () => await RunningAsync(client, "low-guarded", token), token);

        // Every version of every pod, to see the nomination and the victim's condition however briefly they show.
        var seen = new ConcurrentQueue<V1Pod>();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task watch = Task.Run(async () =>
        {
            try
            {
                await foreach ((WatchEventType _, V1Pod pod) in client.CoreV1.WatchListNamespacedPodAsync(
                    Namespace, cancellationToken: watching.Token))
                {
                    seen.Enqueue(pod);
                }
            }
            catch (OperationCanceledException) when (watching.IsCancellationRequested)
            {
                // Done watching.
            }
        }, CancellationToken.None);
        await Task.Delay(200, token);

        // The Priority admission step turns the class into spec.priority, as on any cluster.
        await client.SchedulingV1.CreatePriorityClassAsync(
            new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "preempt-test-high" }, Value = 1000 }, cancellationToken: token);
        V1Pod vip = await client.CoreV1.CreateNamespacedPodAsync(Pod("vip", "1", priorityClassName: "preempt-test-high"), Namespace, cancellationToken: token);
        Assert.Equal(1000, vip.Spec.Priority);

        V1Pod placed = await WaitForAsync(async () => await RunningAsync(client, "vip", token), token);
        Assert.Equal("preempt-0", placed.Spec.NodeName);
        await WaitForAsync(() => seen.FirstOrDefault(p => p.Metadata.Name == "vip" && p.Status?.NominatedNodeName == "preempt-0"), token);
        List<string> left = [.. (await client.CoreV1.ListNamespacedPodAsync(Namespace, cancellationToken: token)).Items
            .Where(p => p.Metadata.Name.StartsWith("low-", StringComparison.Ordinal)).Select(p => p.Metadata.Name)];
        Assert.Equal(["low-guarded"], left);
        V1PodCondition disruption = await WaitForAsync(
            () => seen.Where(p => p.Metadata.Name == "low-plain").SelectMany(p => p.Status?.Conditions ?? []).FirstOrDefault(c => c.Type == "DisruptionTarget"), token);
        Assert.Equal(("True", "PreemptionByScheduler", "default-scheduler: preempting to accommodate a higher priority pod"), (disruption.Status, disruption.Reason, disruption.Message));
        await watching.CancelAsync();
        await watch;

        await events.FlushAsync(token);
        Corev1Event preempted = await WaitForAsync(async () => (await client.CoreV1.ListNamespacedEventAsync(
            Namespace, fieldSelector: "involvedObject.name=low-plain,reason=Preempted", cancellationToken: token)).Items.FirstOrDefault(), token);
        Assert.Equal(("Normal", $"Preempted by pod {vip.Metadata.Uid} on node preempt-0", "default-scheduler"), (preempted.Type, preempted.Message, preempted.Source.Component));
        Corev1Event failed = (await client.CoreV1.ListNamespacedEventAsync(
            Namespace, fieldSelector: "involvedObject.name=vip,reason=FailedScheduling", cancellationToken: token)).Items.First();
        Assert.StartsWith("0/1 nodes are available: 1 Insufficient cpu.", failed.Message, StringComparison.Ordinal);

        await stop.CancelAsync();
        await running;
    }

    private static async Task<V1Pod?> RunningAsync(Kubernetes client, string name, CancellationToken token)
    {
        V1Pod pod = await client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: token);
        return pod.Status?.Phase == "Running" ? pod : null;
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

            await Task.Delay(100, token);
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, CancellationToken token)
        where T : class => await WaitForAsync(() => Task.FromResult(probe()), token);

    private static V1Pod Pod(string name, string cpu, string? priorityClassName = null, string? app = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = app is null ? null : new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec
        {
            PriorityClassName = priorityClassName,
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
