using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Skiff.Bench.Pods;

/// <summary>One watch on the benchmark namespace: the timestamp at which each pod was first seen with phase Running.</summary>
internal sealed class RunningWatch(Kubernetes client, string ns) : NamespacePodWatch(client, ns)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _running = new(StringComparer.Ordinal);

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp of the first event that showed <paramref name="name"/> Running.</summary>
    public Task<long> RunningAsync(string name) => Entry(name).Task;

    protected override void OnEvent(WatchEventType type, V1Pod pod)
    {
        if (type is WatchEventType.Added or WatchEventType.Modified && pod.Status?.Phase == "Running")
        {
            Entry(pod.Metadata.Name).TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    protected override void OnStopped()
    {
        foreach (TaskCompletionSource<long> entry in _running.Values)
        {
            entry.TrySetException(new InvalidOperationException("the pod watch ended"));
        }
    }

    private TaskCompletionSource<long> Entry(string name) =>
        _running.GetOrAdd(name, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
}
