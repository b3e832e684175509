using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Skiff.ControlPlane.Events;

namespace Skiff.ControlPlane.Tests.Controllers;

/// <summary>Keeps every event a controller records, so a test can assert the reasons and messages kubectl describe would show.</summary>
internal sealed class RecordingEventRecorder : IEventRecorder
{
    private readonly ConcurrentQueue<RecordedEvent> _events = new();

    public IReadOnlyList<RecordedEvent> Events => [.. _events];

    /// <summary>Called after each event is kept; a test's wait loop uses it to re-check.</summary>
    public Action? Recorded { get; set; }

    public void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message)
    {
        _events.Enqueue(new RecordedEvent(regarding.Metadata?.Name ?? "", type, reason, message));
        Recorded?.Invoke();
    }

    public bool Has(string name, string reason, string? message = null) =>
        _events.Any(e => e.Name == name && e.Reason == reason && (message is null || e.Message == message));
}

internal sealed record RecordedEvent(string Name, string Type, string Reason, string Message);
