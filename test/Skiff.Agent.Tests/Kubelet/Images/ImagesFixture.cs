using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Runtime;
using Skiff.Agent.Tests.Runtime;
using Skiff.TestKit.Registry;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Kubelet.Images;

/// <summary>
/// A real <c>skiff server</c> (no scheduler), a real containerd, two real docker-registry instances on random loopback ports
/// (one open, one behind basic auth) each holding a busybox image as <c>skiff/busybox:1</c>, and a kubelet for node
/// <c>images-test-&lt;hex&gt;</c> with no registry configuration. Everything is stopped by PID and
/// removed on dispose.
/// </summary>
public sealed class ImagesFixture : IAsyncLifetime, IDisposable
{
    public const string Repository = "skiff/busybox";
    public const string User = "puller";
    public const string Password = "pull-s3cret";

    private readonly CancellationTokenSource _stop = new();
    private SkiffServerProcess? _server;
    private ContainerdTestNode? _node;
    private LocalRegistry? _open;
    private LocalRegistry? _auth;
    private Kubernetes? _client;
    private Task? _kubelet;

    public string NodeName { get; } = "images-test-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];

    public Kubernetes Client => _client ?? throw new InvalidOperationException("not started");

    internal ContainerdTestNode Node => _node ?? throw new InvalidOperationException("not started");

    public LocalRegistry Open => _open ?? throw new InvalidOperationException("not started");

    public LocalRegistry Auth => _auth ?? throw new InvalidOperationException("not started");

    /// <summary>The busybox archive pushed to both registries (its entrypoint is /bin/sh).</summary>
    public string BusyboxArchive => Path.Combine(Node.Options.DataDir, "busybox.oci.tar");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Task<SkiffServerProcess> server = SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = ["--disable-scheduler"] }, timeout.Token);
        Task<LocalRegistry> open = LocalRegistry.StartAsync(null, timeout.Token);
        Task<LocalRegistry> auth = LocalRegistry.StartAsync((User, Password), timeout.Token);
        _node = await ContainerdTestNode.StartAsync(timeout.Token);
        _open = await open;
        _auth = await auth;
        _server = await server;
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        await WriteBusyboxAsync(BusyboxArchive, null, timeout.Token);
        await _open.PushAsync(BusyboxArchive, Repository + ":1", timeout.Token);
        await _auth.PushAsync(BusyboxArchive, Repository + ":1", timeout.Token);
        var options = new KubeletOptions
        {
            NodeName = NodeName,
            InternalIp = "127.0.0.1",
            DataDir = Path.Combine(_node.Options.DataDir, "kubelet"),
        };
        _kubelet = new Skiff.Agent.Kubelet.Kubelet(_client, _node.Client, options, NullLoggerFactory.Instance).RunAsync(_stop.Token);
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
        await _stop.CancelAsync();
        if (_kubelet is not null)
        {
            await _kubelet;
        }

        if (_client is not null)
        {
            try
            {
                await _client.CoreV1.DeleteNodeAsync(NodeName);
            }
            catch (HttpOperationException)
            {
                // Never registered.
            }
        }

        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        foreach (IAsyncDisposable? part in new IAsyncDisposable?[] { _open, _auth, _server })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }

    // xunit calls DisposeAsync and then Dispose on a fixture: everything stops in the first, the client is released in the second.
    public void Dispose()
    {
        _client?.Dispose();
        _stop.Dispose();
    }
}
