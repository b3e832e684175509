using k8s;
using k8s.Models;

namespace Skiff.Bench;

/// <summary>
/// One watch on a namespace's pods, opened (list, then watch from its resourceVersion) before a measured step; each event goes
/// to <see cref="OnEvent"/> on the reading task. The benchmarks' watches differ only in what they record.
/// </summary>
internal abstract class NamespacePodWatch(Kubernetes client, string ns) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        V1PodList current = await client.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken);
        string resourceVersion = current.Metadata.ResourceVersion;
        _reading = Task.Run(() => ReadAsync(resourceVersion, _stop.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }

    /// <summary>One watch event.</summary>
    protected abstract void OnEvent(WatchEventType type, V1Pod pod);

    /// <summary>The watch ended (stopped, or its stream broke).</summary>
    protected virtual void OnStopped()
    {
    }

    private async Task ReadAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        try
        {
            await foreach ((WatchEventType type, V1Pod pod) in client.CoreV1.WatchListNamespacedPodAsync(
                ns, resourceVersion: resourceVersion, timeoutSeconds: 3600, cancellationToken: cancellationToken))
            {
                OnEvent(type, pod);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // Stopped (or the stream broke, which shows up as a phase that never completes).
        }
        finally
        {
            OnStopped();
        }
    }
}
