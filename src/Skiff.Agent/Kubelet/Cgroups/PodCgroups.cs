using System.Globalization;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Kubelet.Config;

namespace Skiff.Agent.Kubelet.Cgroups;

/// <summary>
/// The pod-level cgroups (cgroupfs driver), as upstream lays them out under <see cref="KubeletOptions.CgroupRoot"/>:
/// <c>kubepods/pod&lt;uid&gt;</c> for Guaranteed pods, <c>kubepods/burstable/pod&lt;uid&gt;</c> and
/// <c>kubepods/besteffort/pod&lt;uid&gt;</c>. Each gets cpu shares from the summed cpu requests, and a CFS quota and a
/// memory limit when every container has those limits. Works on cgroup v1 (one hierarchy per controller, as on this host)
/// and on a pure cgroup v2 tree (cpu.weight, cpu.max, memory.max).
/// </summary>
public sealed class PodCgroups
{
    private static readonly string[] V1Controllers = ["cpu", "cpuacct", "memory", "pids"];
    private static readonly string[] V2Controllers = ["cpu", "memory", "pids"];

    private readonly KubeletOptions _options;
    private readonly ILogger _logger;

    // Pods whose cgroup could not be removed yet (a controller still held an exiting task): retried by RetryPendingRemovals.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _pending = new();

    public PodCgroups(KubeletOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _logger = logger;
    }

    private bool IsV2 => File.Exists(Path.Combine(_options.CgroupMount, "cgroup.controllers"));

    /// <summary>The cgroupfs path of <c>kubepods</c>, e.g. <c>/skiff/kubepods</c>.</summary>
    public string KubepodsPath => "/" + string.Join('/', _options.CgroupRoot.Split('/', StringSplitOptions.RemoveEmptyEntries).Append("kubepods"));

    /// <summary>The pod cgroup's cgroupfs path, which is the sandbox's cgroup_parent.</summary>
    public string PodPath(QosClass qos, string podUid) => qos switch
    {
        QosClass.Guaranteed => $"{KubepodsPath}/pod{podUid}",
        QosClass.Burstable => $"{KubepodsPath}/burstable/pod{podUid}",
        _ => $"{KubepodsPath}/besteffort/pod{podUid}",
    };

    /// <summary>Creates (or updates) the pod's cgroup and returns the sandbox's cgroup_parent.</summary>
    public string Ensure(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        QosClass qos = PodResources.Qos(pod);
        string path = PodPath(qos, pod.Metadata.Uid);
        var containers = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).ToList();
        long shares = qos == QosClass.BestEffort ? PodResources.MinShares : PodResources.Shares(PodResources.PodTotal(pod, c => PodResources.MilliCpu(PodResources.Request(c, "cpu"))));
        long quota = containers.All(c => PodResources.Limit(c, "cpu") is not null)
            ? PodResources.Quota(PodResources.PodTotal(pod, c => PodResources.MilliCpu(PodResources.Limit(c, "cpu"))))
            : 0;
        long memory = containers.All(c => PodResources.Limit(c, "memory") is not null)
            ? PodResources.PodTotal(pod, c => PodResources.Bytes(PodResources.Limit(c, "memory")))
            : 0;
        try
        {
            if (IsV2)
            {
                EnsureV2(path, shares, quota, memory);
            }
            else
            {
                EnsureV1(path, shares, quota, memory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CgroupLog.EnsureFailed(_logger, path, e);
            throw new IOException($"creating the pod cgroup {path} failed: {e.Message}", e);
        }

        return path;
    }

    /// <summary>Removes the cgroup of the pod with <paramref name="podUid"/> once its sandbox is gone (in every hierarchy, whatever its QoS was).</summary>
    public void Remove(string podUid)
    {
        ArgumentNullException.ThrowIfNull(podUid);
        bool retry = _pending.ContainsKey(podUid);
        bool failed = false;
        foreach (QosClass qos in Enum.GetValues<QosClass>())
        {
            string path = PodPath(qos, podUid);
            foreach (string hierarchy in Hierarchies())
            {
                string dir = hierarchy + path;
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                try
                {
                    RemoveTree(dir);
                    CgroupLog.Removed(_logger, dir);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failed = true;
                    if (!retry)
                    {
                        CgroupLog.RemoveFailed(_logger, dir, e);
                    }
                }
            }
        }

        if (failed)
        {
            _pending[podUid] = true;
        }
        else
        {
            _pending.TryRemove(podUid, out _);
        }
    }

    /// <summary>Tries again to remove the pod cgroups whose removal failed (rmdir is refused while an exiting task lingers).</summary>
    public void RetryPendingRemovals()
    {
        foreach (string podUid in _pending.Keys)
        {
            Remove(podUid);
        }
    }

    /// <summary>Each v1 controller's mount (or the v2 tree) in which cgroup dirs may exist.</summary>
    private IEnumerable<string> Hierarchies() =>
        IsV2 ? [_options.CgroupMount] : Directory.Exists(_options.CgroupMount) ? Directory.EnumerateDirectories(_options.CgroupMount) : [];

    private void EnsureV1(string path, long shares, long quota, long memory)
    {
        foreach (string controller in V1Controllers)
        {
            string? mount = Hierarchies().FirstOrDefault(h => Path.GetFileName(h).Split(',').Contains(controller));
            if (mount is null)
            {
                continue;
            }

            Directory.CreateDirectory(mount + path);
            if (controller == "cpu")
            {
                Write(mount + KubepodsPath + "/besteffort", "cpu.shares", PodResources.MinShares);
                Write(mount + path, "cpu.shares", shares);
                Write(mount + path, "cpu.cfs_period_us", PodResources.CpuPeriod);
                Write(mount + path, "cpu.cfs_quota_us", quota > 0 ? quota : -1);
            }
            else if (controller == "memory")
            {
                Write(mount + path, "memory.limit_in_bytes", memory > 0 ? memory : -1);
            }
        }
    }

    private void EnsureV2(string path, long shares, long quota, long memory)
    {
        string root = _options.CgroupMount;
        Directory.CreateDirectory(root + path);
        // Each ancestor hands the controllers down to its children.
        string current = root;
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            File.WriteAllText(Path.Combine(current, "cgroup.subtree_control"), string.Join(' ', V2Controllers.Select(c => "+" + c)));
            current = Path.Combine(current, part);
        }

        Write(root + KubepodsPath + "/besteffort", "cpu.weight", 1);
        Write(root + path, "cpu.weight", 1 + ((shares - 2) * 9999 / 262142));
        File.WriteAllText(Path.Combine(root + path, "cpu.max"), (quota > 0 ? Num(quota) : "max") + " " + Num(PodResources.CpuPeriod));
        File.WriteAllText(Path.Combine(root + path, "memory.max"), memory > 0 ? Num(memory) : "max");
    }

    private static void Write(string dir, string file, long value)
    {
        if (Directory.Exists(dir))
        {
            File.WriteAllText(Path.Combine(dir, file), Num(value));
        }
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>rmdir bottom-up: cgroup dirs hold only kernel files and go with rmdir once they have no tasks.</summary>
    private static void RemoveTree(string dir)
    {
        foreach (string child in Directory.EnumerateDirectories(dir))
        {
            RemoveTree(child);
        }

        Directory.Delete(dir, recursive: false);
    }
}
