using System.Threading.Channels;
using k8s;
using k8s.Models;

namespace Skiff.Bench.Controllers;

/// <summary>
/// One watch on a namespace's pods, opened before the measured step: counts the distinct pods that appeared, and hands every
/// added or changed pod to <see cref="Changes"/> for the harness kubelet.
/// </summary>
internal sealed class PodWatch(Kubernetes client, string ns) : IAsyncDisposable
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Channel<V1Pod> _changes = Channel.CreateUnbounded<V1Pod>();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wanted = int.MaxValue;
    private Task _reading = Task.CompletedTask;

    public ChannelReader<V1Pod> Changes => _changes.Reader;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        V1PodList current = await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken);
        string resourceVersion = current.Metadata.ResourceVersion;
        _reading = Task.Run(() => ReadAsync(resourceVersion, _stop.Token), CancellationToken.None);
    }

    /// <summary>Completes once <paramref name="count"/> distinct pods have appeared.</summary>
    public async Task WaitForCountAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _wanted = count;
            _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_seen.Count >= count)
            {
                _reached.TrySetResult();
            }
        }

        await _reached.Task.WaitAsync(timeout, cancellationToken);
    }

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
                if (type is WatchEventType.Added or WatchEventType.Modified)
                {
                    _changes.Writer.TryWrite(pod);
                }

                if (type == WatchEventType.Added)
                {
                    lock (_lock)
                    {
                        if (_seen.Add(pod.Metadata.Name) && _seen.Count >= _wanted)
                        {
                            _reached.TrySetResult();
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // Stopped (or the stream broke, which shows up as a phase that never completes).
        }
        finally
        {
            _changes.Writer.TryComplete();
        }
    }
}
