using System.Threading.Channels;
using k8s;
using k8s.Models;

namespace Skiff.Bench.Controllers;

/// <summary>
/// One watch on a namespace's pods, opened before the measured step: counts the distinct pods that appeared, and hands every
/// added or changed pod to <see cref="Changes"/> for the harness kubelet.
/// </summary>
internal sealed class PodWatch(Kubernetes client, string ns) : NamespacePodWatch(client, ns)
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Channel<V1Pod> _changes = Channel.CreateUnbounded<V1Pod>();
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _wanted = int.MaxValue;

    public ChannelReader<V1Pod> Changes => _changes.Reader;

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

    protected override void OnEvent(WatchEventType type, V1Pod pod)
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

    protected override void OnStopped() => _changes.Writer.TryComplete();
}
