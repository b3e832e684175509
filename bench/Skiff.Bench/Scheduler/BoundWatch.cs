using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Skiff.Bench.Scheduler;

/// <summary>
/// One watch on a namespace's pods, opened before the measured step: records the <see cref="Stopwatch"/> timestamp at which each
/// pod was first seen with spec.nodeName set, and completes once the wanted number of pods are bound.
/// </summary>
internal sealed class BoundWatch(Kubernetes client, string ns) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, long> _bound = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wanted = int.MaxValue;
    private Task _reading = Task.CompletedTask;

    public IReadOnlyDictionary<string, long> Bound => _bound;

    public async Task StartAsync(int wanted, CancellationToken cancellationToken)
    {
        _wanted = wanted;
        V1PodList current = await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken);
        string resourceVersion = current.Metadata.ResourceVersion;
        _reading = Task.Run(() => ReadAsync(resourceVersion, _stop.Token), CancellationToken.None);
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _reached.Task.WaitAsync(timeout, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }

    private async Task ReadAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        try
        {
            await foreach ((WatchEventType type, V1Pod pod) in client.CoreV1.WatchListNamespacedPodAsync(
                ns, resourceVersion: resourceVersion, timeoutSeconds: 3600, cancellationToken: cancellationToken))
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
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // Stopped (or the stream broke, which shows up as a phase that never completes).
        }
    }
}
