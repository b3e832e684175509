using System.Diagnostics;
using k8s.Models;
using Skiff.Agent.Proxy;

namespace Skiff.Bench.Network;

/// <summary>Matches the proxy's <see cref="ServiceProxy.Synced"/> reports to written objects (kind, name and resourceVersion).</summary>
internal sealed class SyncTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long At, ProxySyncedEventArgs Sync)> _applied = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<(long, ProxySyncedEventArgs)>> _waiting = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<ProxySyncedEventArgs> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ProxySyncedEventArgs> FirstAsync => _first.Task;

    public void OnSynced(object? sender, ProxySyncedEventArgs e)
    {
        long now = Stopwatch.GetTimestamp();
        _first.TrySetResult(e);
        lock (_lock)
        {
            foreach (ProxyChange change in e.Changes)
            {
                string key = Key(change.Kind, change.Namespace, change.Name, change.ResourceVersion);
                _applied[key] = (now, e);
                if (_waiting.Remove(key, out var done))
                {
                    done.TrySetResult((now, e));
                }
            }
        }
    }

    /// <summary>The Stopwatch timestamp at which the sync that applied <paramref name="written"/> finished, and that sync.</summary>
    public Task<(long Finished, ProxySyncedEventArgs Sync)> WaitAsync(string kind, V1EndpointSlice written)
    {
        string key = Key(kind, written.Metadata.NamespaceProperty, written.Metadata.Name, written.Metadata.ResourceVersion);
        lock (_lock)
        {
            if (_applied.TryGetValue(key, out var applied))
            {
                return Task.FromResult(applied);
            }

            var done = new TaskCompletionSource<(long, ProxySyncedEventArgs)>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[key] = done;
            return done.Task;
        }
    }

    private static string Key(string kind, string ns, string name, string? resourceVersion) => kind + "/" + ns + "/" + name + "@" + resourceVersion;
}
