using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// Materialises a pod's volumes on the node under <c>&lt;data dir&gt;/pods/&lt;uid&gt;/volumes/&lt;plugin&gt;/&lt;name&gt;</c>
/// (plugin names as upstream's: <c>kubernetes.io~empty-dir</c>, <c>~configmap</c>, <c>~secret</c>, <c>~downward-api</c>,
/// <c>~projected</c>) and gives each container its CRI mounts through <see cref="PodVolumes"/>. configMap, secret, downwardAPI
/// and projected contents are written with <see cref="AtomicWriter"/> and kept current by <see cref="RefreshAsync"/>; secret
/// and projected volumes and Memory emptyDirs live on a tmpfs. Cleanup unmounts and removes the pod's directory.
/// </summary>
public sealed partial class VolumeManager
{
    public const string EmptyDirPlugin = "kubernetes.io~empty-dir";
    public const string ConfigMapPlugin = "kubernetes.io~configmap";
    public const string SecretPlugin = "kubernetes.io~secret";
    public const string DownwardApiPlugin = "kubernetes.io~downward-api";
    public const string ProjectedPlugin = "kubernetes.io~projected";

    /// <summary>0644: what configMap, secret, downwardAPI and projected files get without a defaultMode.</summary>
    public const int DefaultFileMode = 420;

    private const UnixFileMode WorldWritable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
        | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly IKubernetes _client;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PodVolumeState> _pods = new();
    private readonly Lazy<NodeAllocatable> _node;

    public VolumeManager(IKubernetes client, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _client = client;
        _options = options;
        _logger = logger;
        _time = timeProvider;
        _node = new Lazy<NodeAllocatable>(() => NodeAllocatable.OfThisMachine(options.DataDir));
    }

    /// <summary>
    /// How often <see cref="RefreshAsync"/> reads a running pod's ConfigMaps and Secrets again (label and annotation changes
    /// reach downwardAPI files at once; tokens are renewed after 80% of their lifetime).
    /// </summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>&lt;data dir&gt;/pods/&lt;uid&gt;</c>: everything the volume manager writes for the pod lives below it.</summary>
    public string PodDir(string podUid) => Path.Combine(_options.PodLogDir, podUid);

    /// <summary>Prepares every volume of the pod before its sandbox starts; a volume that cannot be prepared throws.</summary>
    /// <exception cref="VolumeMountException">A missing non-optional ConfigMap or Secret, a failed hostPath check, an unsupported volume type.</exception>
    public async Task<PodVolumes> PrepareAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string uid = pod.Metadata?.Uid ?? throw new ArgumentException("the pod has no uid", nameof(pod));
        PodVolumeState state = _pods.GetOrAdd(uid, _ => new PodVolumeState());
        var prepared = new Dictionary<string, PreparedVolume>();
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            PreparedVolume result;
            try
            {
                result = await PrepareVolumeAsync(pod, volume, state, cancellationToken).ConfigureAwait(false);
            }
            catch (VolumeMountException e)
            {
                await RecordFailedMountAsync(pod, volume.Name, e, state, cancellationToken).ConfigureAwait(false);
                throw;
            }

            prepared[volume.Name] = result;
            VolumePrepared(_logger, volume.Name, Namespace(pod), pod.Metadata.Name, result.HostPath);
        }

        state.LastRefresh = _time.GetUtcNow();
        state.MetadataKey = MetadataKey(pod);
        return new PodVolumes(prepared);
    }

    /// <summary>
    /// Brings the contents of a running pod's configMap, secret, downwardAPI and projected volumes up to date: at once after a
    /// label or annotation change, otherwise every <see cref="RefreshInterval"/> (cheap to call on every relist). A failure
    /// is logged and leaves the old contents; it never throws except on cancellation.
    /// </summary>
    public async Task RefreshAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string? uid = pod.Metadata?.Uid;
        if (uid is null || pod.Metadata!.DeletionTimestamp is not null)
        {
            return;
        }

        // A pod prepared before this kubelet started still has its volume directory: keep it current too.
        if (!_pods.TryGetValue(uid, out PodVolumeState? state))
        {
            if (!Directory.Exists(Path.Combine(PodDir(uid), "volumes")))
            {
                return;
            }

            state = _pods.GetOrAdd(uid, _ => new PodVolumeState());
        }

        DateTimeOffset now = _time.GetUtcNow();
        string metadataKey = MetadataKey(pod);
        bool due = now - state.LastRefresh >= RefreshInterval || state.TokenRenewals.Values.Any(t => now >= t);
        if (!due && metadataKey == state.MetadataKey)
        {
            return;
        }

        state.LastRefresh = now;
        state.MetadataKey = metadataKey;
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            if (volume.ConfigMap is null && volume.Secret is null && volume.DownwardAPI is null && volume.Projected is null)
            {
                continue;
            }

            if (!due && volume.DownwardAPI is null && volume.Projected is null)
            {
                continue;
            }

            try
            {
                if (await WriteContentsAsync(pod, volume, state, cancellationToken).ConfigureAwait(false))
                {
                    VolumeUpdated(_logger, volume.Name, Namespace(pod), pod.Metadata.Name);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or k8s.Autorest.HttpOperationException or HttpRequestException
                && !cancellationToken.IsCancellationRequested)
            {
                RefreshFailed(_logger, volume.Name, Namespace(pod), pod.Metadata.Name, e);
            }
        }
    }

    /// <summary>
    /// Removes the pod's volume directories after its sandbox is gone: unmounts every tmpfs below the pod directory first, then
    /// deletes the tree without following symlinks (a hostPath volume is never touched: it lives outside).
    /// </summary>
    public void Cleanup(string podUid)
    {
        ArgumentNullException.ThrowIfNull(podUid);
        _pods.TryRemove(podUid, out _);
        if (podUid.Length == 0 || podUid.Contains('/', StringComparison.Ordinal) || podUid.StartsWith('.'))
        {
            return;
        }

        string podDir = PodDir(podUid);
        try
        {
            HostMounts.UnmountBelow(podDir);
            if (Directory.Exists(podDir))
            {
                DeleteTree(podDir);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CleanupFailed(_logger, podUid, e);
        }
    }

    private async Task<PreparedVolume> PrepareVolumeAsync(V1Pod pod, V1Volume volume, PodVolumeState state, CancellationToken cancellationToken)
    {
        if (volume.HostPath is { } hostPath)
        {
            HostPathCheck.Ensure(hostPath);
            return new PreparedVolume(hostPath.Path, ForceReadOnly: false, CreateSubPaths: true);
        }

        if (volume.EmptyDir is { } emptyDir)
        {
            string dir = VolumeDir(pod, EmptyDirPlugin, volume.Name);
            Directory.CreateDirectory(dir);
            if (emptyDir.Medium == "Memory")
            {
                HostMounts.MountTmpfs(dir, emptyDir.SizeLimit is { } limit ? (long)limit.ToDecimal() : null);
            }
            else if (!string.IsNullOrEmpty(emptyDir.Medium))
            {
                throw new VolumeMountException($"emptyDir medium \"{emptyDir.Medium}\" of volume \"{volume.Name}\" is not supported");
            }

            UnixModes.Set(dir, WorldWritable);
            return new PreparedVolume(dir, ForceReadOnly: false, CreateSubPaths: true);
        }

        if (volume.PersistentVolumeClaim is not null)
        {
            throw new VolumeMountException($"volume \"{volume.Name}\": persistentVolumeClaim volumes are not supported yet");
        }

        if (volume.ConfigMap is null && volume.Secret is null && volume.DownwardAPI is null && volume.Projected is null)
        {
            throw new VolumeMountException($"volume \"{volume.Name}\": this volume type is not supported (emptyDir, hostPath, configMap, secret, downwardAPI and projected are)");
        }

        await WriteContentsAsync(pod, volume, state, cancellationToken).ConfigureAwait(false);
        return new PreparedVolume(ContentDir(pod, volume), ForceReadOnly: true, CreateSubPaths: false);
    }

    /// <summary>Writes a configMap, secret, downwardAPI or projected volume's files; true when they changed.</summary>
    private async Task<bool> WriteContentsAsync(V1Pod pod, V1Volume volume, PodVolumeState state, CancellationToken cancellationToken)
    {
        Dictionary<string, FileProjection> files = await FilesAsync(pod, volume, state, cancellationToken).ConfigureAwait(false);
        string dir = ContentDir(pod, volume);
        Directory.CreateDirectory(dir);
        if (volume.Secret is not null || volume.Projected is not null)
        {
            // Secrets and tokens never touch the node's disk (upstream backs these volumes with memory as well).
            HostMounts.MountTmpfs(dir, null);
        }

        try
        {
            return AtomicWriter.Write(dir, files, _time.GetUtcNow());
        }
        catch (ArgumentException e)
        {
            throw new VolumeMountException($"volume \"{volume.Name}\": {e.Message}", e);
        }
    }

    private string ContentDir(V1Pod pod, V1Volume volume)
    {
        string plugin = volume.ConfigMap is not null ? ConfigMapPlugin
            : volume.Secret is not null ? SecretPlugin
            : volume.DownwardAPI is not null ? DownwardApiPlugin
            : ProjectedPlugin;
        return VolumeDir(pod, plugin, volume.Name);
    }

    private string VolumeDir(V1Pod pod, string plugin, string name) => Path.Combine(PodDir(pod.Metadata.Uid), "volumes", plugin, name);

    private static string Namespace(V1Pod pod) => pod.Metadata?.NamespaceProperty ?? "default";

    private static string MetadataKey(V1Pod pod) =>
        DownwardApiFiles.FormatMap(pod.Metadata?.Labels) + "\0" + DownwardApiFiles.FormatMap(pod.Metadata?.Annotations);

    /// <summary>Deletes a directory tree; symlinks are removed as links, never followed.</summary>
    private static void DeleteTree(string dir)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is null && info.Attributes.HasFlag(FileAttributes.Directory))
            {
                DeleteTree(entry);
            }
            else
            {
                info.Delete();
            }
        }

        Directory.Delete(dir);
    }

    /// <summary>What the manager remembers of one pod: when it last refreshed, the labels it wrote, its tokens.</summary>
    private sealed class PodVolumeState
    {
        public DateTimeOffset LastRefresh { get; set; }

        public string MetadataKey { get; set; } = string.Empty;

        /// <summary>Issued tokens by "volume/path": the token and its expiry.</summary>
        public ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> Tokens { get; } = new();

        /// <summary>FailedMount messages already recorded as events for this pod.</summary>
        public ConcurrentDictionary<string, byte> ReportedFailures { get; } = new();

        /// <summary>When each token ("volume/path") is due for renewal (80% of its lifetime).</summary>
        public ConcurrentDictionary<string, DateTimeOffset> TokenRenewals { get; } = new();
    }
}
