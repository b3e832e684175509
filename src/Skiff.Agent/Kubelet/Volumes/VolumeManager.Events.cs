using System.Globalization;
using k8s;
using k8s.Models;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>FailedMount events: what <c>kubectl describe pod</c> shows while a volume cannot be set up.</summary>
public sealed partial class VolumeManager
{
    /// <summary>
    /// Records a Warning FailedMount event on the pod with upstream's wording, once per distinct message per pod (the start is
    /// retried every relist, and upstream's recorder would fold the repeats into a count). Never throws but on cancellation.
    /// </summary>
    private async Task RecordFailedMountAsync(V1Pod pod, string volumeName, VolumeMountException error, PodVolumeState state, CancellationToken cancellationToken)
    {
        string message = $"MountVolume.SetUp failed for volume \"{volumeName}\" : {error.Message}";
        if (!state.ReportedFailures.TryAdd(message, 0))
        {
            return;
        }

        DateTime now = _time.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        string ns = Namespace(pod);
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = pod.Metadata.Name + "." + (_time.GetUtcNow().UtcTicks * 100).ToString("x", CultureInfo.InvariantCulture),
                NamespaceProperty = ns,
            },
            InvolvedObject = new V1ObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, NamespaceProperty = ns, Uid = pod.Metadata.Uid },
            Type = "Warning",
            Reason = "FailedMount",
            Message = message,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = "kubelet", Host = _options.NodeName },
            ReportingComponent = "kubelet",
            ReportingInstance = _options.NodeName,
        };
        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(ev, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            EventFailed(_logger, Namespace(pod), pod.Metadata.Name, e);
        }
    }
}
