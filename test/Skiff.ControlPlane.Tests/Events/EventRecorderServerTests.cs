using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Events;
using Skiff.ControlPlane.Tests.Server;

namespace Skiff.ControlPlane.Tests.Events;

/// <summary>The recorder writes what <c>kubectl describe</c> lists under Events, against a real server.</summary>
public sealed class EventRecorderServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    [Fact]
    public async Task Record_RepeatedEvent_IsOneEventWithCountTwo_AndADifferentMessageIsAnother()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Kubernetes client = fixture.Client;
        V1ConfigMap subject = await client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "events-subject" } }, "default", cancellationToken: timeout.Token);
        using var recorder = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance, component: "test-recorder");

        recorder.Record(subject, EventTypes.Warning, "Broken", "it broke");
        recorder.Record(subject, EventTypes.Warning, "Broken", "it broke");
        recorder.Record(subject, EventTypes.Normal, "Fixed", "it works again");
        await recorder.FlushAsync(timeout.Token);

        Corev1EventList events = await client.CoreV1.ListNamespacedEventAsync(
            "default", fieldSelector: "involvedObject.name=events-subject", cancellationToken: timeout.Token);
        Assert.Equal(2, events.Items.Count);
        Corev1Event broken = Assert.Single(events.Items, e => e.Reason == "Broken");
        Assert.Equal((2, "Warning", "it broke"), (broken.Count, broken.Type, broken.Message));
        Assert.Equal(("ConfigMap", "v1", subject.Metadata.Uid), (broken.InvolvedObject.Kind, broken.InvolvedObject.ApiVersion, broken.InvolvedObject.Uid));
        Assert.Equal("test-recorder", broken.Source.Component);
        Corev1Event fixedEvent = Assert.Single(events.Items, e => e.Reason == "Fixed");
        Assert.Equal((1, "Normal"), (fixedEvent.Count, fixedEvent.Type));
    }

    [Fact]
    public async Task Record_ForAnAppsObject_NamesItsGroupVersionAndKind()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        Kubernetes client = fixture.Client;
        using var recorder = new EventRecorder(client, TimeProvider.System, NullLogger<EventRecorder>.Instance);
        var deployment = new V1Deployment { Metadata = new V1ObjectMeta { Name = "events-deploy", NamespaceProperty = "default", Uid = "d-uid" } };

        recorder.Record(deployment, EventTypes.Normal, "ScalingReplicaSet", "Scaled up replica set events-deploy-1 from 0 to 1");
        await recorder.FlushAsync(timeout.Token);

        Corev1EventList events = await client.CoreV1.ListNamespacedEventAsync(
            "default", fieldSelector: "involvedObject.name=events-deploy", cancellationToken: timeout.Token);
        Corev1Event scaled = Assert.Single(events.Items);
        Assert.Equal(("Deployment", "apps/v1"), (scaled.InvolvedObject.Kind, scaled.InvolvedObject.ApiVersion));
    }
}
