using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Skiff.Bench.Scheduler;

/// <summary>
/// One watch on a namespace's pods, opened before the measured step: records the <see cref="Stopwatch"/> timestamp at which each
/// pod was first seen with spec.nodeName set, and completes once the wanted number of pods are bound.
/// </summary>
internal sealed class BoundWatch(Kubernetes client, string ns) : NamespacePodWatch(client, ns)
{
    private readonly ConcurrentDictionary<string, long> _bound = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wanted = int.MaxValue;

    public IReadOnlyDictionary<string, long> Bound => _bound;

    public Task StartAsync(int wanted, CancellationToken cancellationToken)
    {
        _wanted = wanted;
        return StartAsync(cancellationToken);
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _reached.Task.WaitAsync(timeout, cancellationToken);

    protected override void OnEvent(WatchEventType type, V1Pod pod)
    {
        if (type is WatchEventType.Added or WatchEventType.Modified
            && !string.IsNullOrEmpty(pod.Spec?.NodeName)
            && _bound.TryAdd(pod.Metadata.Name, Stopwatch.GetTimestamp())
            && _bound.Count >= _wanted)
        {
            _reached.TrySetResult();
        }
    }
}
