using k8s;
using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.Job;

/// <summary>
/// Status writes and their arrival in the cache: a sync waits until the Job informer delivered the controller's last status
/// write, so it never counts from a Job older than its own uncountedTerminatedPods.
/// </summary>
public sealed partial class JobController
{
    private async Task<V1Job> WriteStatusAsync(V1Job job, V1JobStatus status, CancellationToken cancellationToken)
    {
        V1Job update = ReplicaSetSync.Clone(job);
        update.Status = status;
        V1Job written = await _client.BatchV1.ReplaceNamespacedJobStatusAsync(update, job.Metadata.Name, job.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        lock (_statusLock)
        {
            string uid = job.Metadata.Uid;
            if (!(_seenVersions.TryGetValue(uid, out Queue<string>? seen) && seen.Contains(written.Metadata.ResourceVersion)))
            {
                _statusWrites[uid] = (written.Metadata.ResourceVersion, TimeProvider.GetUtcNow());
            }
        }

        return written;
    }

    private void ObserveVersion(V1Job job)
    {
        if (job.Metadata?.Uid is not { } uid || job.Metadata.ResourceVersion is not { } version)
        {
            return;
        }

        lock (_statusLock)
        {
            if (_statusWrites.TryGetValue(uid, out var pending) && pending.Version == version)
            {
                _statusWrites.Remove(uid);
            }

            if (!_seenVersions.TryGetValue(uid, out Queue<string>? seen))
            {
                _seenVersions[uid] = seen = new Queue<string>();
            }

            seen.Enqueue(version);
            while (seen.Count > 16)
            {
                seen.Dequeue();
            }
        }
    }

    private bool StatusWriteObserved(V1Job job)
    {
        lock (_statusLock)
        {
            if (!_statusWrites.TryGetValue(job.Metadata.Uid, out var pending))
            {
                return true;
            }

            if (pending.Version == job.Metadata.ResourceVersion || TimeProvider.GetUtcNow() - pending.At > s_statusWriteTimeout)
            {
                _statusWrites.Remove(job.Metadata.Uid);
                return true;
            }

            return false;
        }
    }

    private void ForgetJob(string? uid)
    {
        if (uid is null)
        {
            return;
        }

        lock (_statusLock)
        {
            _statusWrites.Remove(uid);
            _seenVersions.Remove(uid);
        }

        _lastFailure.TryRemove(uid, out _);
    }
}
