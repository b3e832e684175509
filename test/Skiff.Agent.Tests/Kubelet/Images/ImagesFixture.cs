using k8s;
using Skiff.Agent.Runtime;
using Skiff.Agent.Tests.Runtime;
using Skiff.TestKit.Registry;

namespace Skiff.Agent.Tests.Kubelet.Images;

/// <summary>
/// A real <c>skiff server</c> (no scheduler), a real containerd, two real docker-registry instances on random loopback ports
/// (one open, one behind basic auth) each holding a busybox image as <c>skiff/busybox:1</c>, and a kubelet for node
/// <c>images-test-&lt;hex&gt;</c> with no registry configuration. Everything is stopped by PID and
/// removed on dispose.
/// </summary>
public sealed class ImagesFixture : IAsyncLifetime
{
    public const string Repository = "skiff/busybox";
    public const string User = "puller";
    public const string Password = "pull-s3cret";

    private KubeletRig? _rig;
    private LocalRegistry? _open;
    private LocalRegistry? _auth;

    public string NodeName => Rig.NodeName;

    public Kubernetes Client => Rig.Client;

    internal ContainerdTestNode Node => Rig.Node;

    public LocalRegistry Open => _open ?? throw new InvalidOperationException("not started");

    public LocalRegistry Auth => _auth ?? throw new InvalidOperationException("not started");

    /// <summary>The busybox archive pushed to both registries (its entrypoint is /bin/sh).</summary>
    public string BusyboxArchive => Path.Combine(Node.Options.DataDir, "busybox.oci.tar");

    private KubeletRig Rig => _rig ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<KubeletRig> rig = KubeletRig.StartAsync("images-test", timeout.Token);
        Task<LocalRegistry> open = LocalRegistry.StartAsync(null, timeout.Token);
        Task<LocalRegistry> auth = LocalRegistry.StartAsync((User, Password), timeout.Token);
        _rig = await rig;
        _open = await open;
        _auth = await auth;
        await WriteBusyboxAsync(BusyboxArchive, null, timeout.Token);
        await _open.PushAsync(BusyboxArchive, Repository + ":1", timeout.Token);
        await _auth.PushAsync(BusyboxArchive, Repository + ":1", timeout.Token);
        _rig.StartKubelet(_rig.DefaultOptions());
    }

    /// <summary>
    /// Packs busybox (sh, sleep, echo, cat, wget) as a one-layer OCI archive; <paramref name="marker"/>, when given, becomes
    /// /marker so two builds differ in content and digest.
    /// </summary>
    public static async Task WriteBusyboxAsync(string archive, string? marker, CancellationToken cancellationToken)
    {
        List<OciLayerEntry> entries =
        [
            OciLayerEntry.Directory("bin"),
            OciLayerEntry.Directory("tmp"),
            OciLayerEntry.File("bin/busybox", "/bin/busybox"),
            .. new[] { "sh", "sleep", "echo", "cat", "wget" }.Select(a => OciLayerEntry.Symlink("bin/" + a, "busybox")),
        ];
        if (marker is not null)
        {
            string file = archive + ".marker";
            await File.WriteAllTextAsync(file, marker, cancellationToken);
            entries.Add(OciLayerEntry.File("marker", file));
        }

        await OciImageArchive.WriteAsync(archive, "skiff.test/busybox:build", entries, ["/bin/sh"], cancellationToken);
    }

    public async Task DisposeAsync()
    {
        foreach (IAsyncDisposable? part in new IAsyncDisposable?[] { _rig, _open, _auth })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }
}
