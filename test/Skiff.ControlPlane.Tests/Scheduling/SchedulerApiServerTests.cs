using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Scheduling;
using Skiff.ControlPlane.Tests.Server;

namespace Skiff.ControlPlane.Tests.Scheduling;

/// <summary>The scheduler's writes against a real server: what kubectl shows after a bind or a failure.</summary>
public sealed class SchedulerApiServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    [Fact]
    public async Task Bind_SetsNodeNameAndPodScheduled_AndRecordsScheduled()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Kubernetes client = fixture.Client;
        using var events = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance);
        var api = new SchedulerApi(client, events, TimeProvider.System);
        V1Pod pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("to-bind"), "default", cancellationToken: timeout.Token);

        await api.BindAsync(pod, "node-a", timeout.Token);
        await events.FlushAsync(timeout.Token);

        V1Pod bound = await client.CoreV1.ReadNamespacedPodAsync("to-bind", "default", cancellationToken: timeout.Token);
        Assert.Equal("node-a", bound.Spec.NodeName);
        Assert.Equal("True", bound.Status.Conditions.Single(c => c.Type == "PodScheduled").Status);
        Corev1Event scheduled = Assert.Single((await client.CoreV1.ListNamespacedEventAsync(
            "default", fieldSelector: "involvedObject.name=to-bind", cancellationToken: timeout.Token)).Items);
        Assert.Equal(("Scheduled", "Successfully assigned default/to-bind to node-a", "default-scheduler"), (scheduled.Reason, scheduled.Message, scheduled.Source.Component));
    }

    [Fact]
    public async Task ReportUnschedulable_WritesTheConditionOnce_AndAWarningEventPerAttempt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Kubernetes client = fixture.Client;
        using var events = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance);
        var api = new SchedulerApi(client, events, TimeProvider.System);
        V1Pod pod = await client.CoreV1.CreateNamespacedPodAsync(Pod("no-fit"), "default", cancellationToken: timeout.Token);
        const string Message = "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.";

        await api.ReportUnschedulableAsync(pod, Message, timeout.Token);
        V1Pod reported = await client.CoreV1.ReadNamespacedPodAsync("no-fit", "default", cancellationToken: timeout.Token);
        await api.ReportUnschedulableAsync(reported, Message, timeout.Token);
        await events.FlushAsync(timeout.Token);

        V1Pod after = await client.CoreV1.ReadNamespacedPodAsync("no-fit", "default", cancellationToken: timeout.Token);
        Assert.Equal(reported.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        V1PodCondition condition = after.Status.Conditions.Single(c => c.Type == "PodScheduled");
        Assert.Equal(("False", "Unschedulable", Message), (condition.Status, condition.Reason, condition.Message));
        Assert.Equal("Pending", after.Status.Phase);
        Corev1Event failed = Assert.Single((await client.CoreV1.ListNamespacedEventAsync(
            "default", fieldSelector: "involvedObject.name=no-fit", cancellationToken: timeout.Token)).Items);
        Assert.Equal(("Warning", "FailedScheduling", 2), (failed.Type, failed.Reason, failed.Count));
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "nginx:1.27" }] },
    };
}
