using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Tests.Runtime;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Kubelet;

/// <summary>
/// A real <c>skiff server</c> without its scheduler (the tests bind pods by setting spec.nodeName), a real containerd with a
/// busybox image, and a <see cref="Skiff.Agent.Kubelet.Kubelet"/> for node <c>kubelet-test-&lt;hex&gt;</c> between them. On
/// dispose the kubelet stops, the Node object is deleted, containerd stops by PID and its bridge and dirs are removed.
/// </summary>
public sealed class KubeletFixture : IAsyncLifetime, IDisposable
{
    public const string BusyboxImage = "skiff.local/busybox:test";

    private readonly CancellationTokenSource _stop = new();
    private SkiffServerProcess? _server;
    private ContainerdTestNode? _node;
    private Kubernetes? _client;
    private Task? _kubelet;

    public string NodeName { get; } = "kubelet-test-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];

    /// <summary>The kubelet's own cgroup root (its pod cgroups live below it), removed from every hierarchy on dispose.</summary>
    public string CgroupRoot { get; } = "/skiff-test-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];

    public Kubernetes Client => _client ?? throw new InvalidOperationException("not started");

    internal ContainerdTestNode Node => _node ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = ["--disable-scheduler"] }, timeout.Token);
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        _node = await ContainerdTestNode.StartAsync(timeout.Token);
        await _node.ImportBusyboxAsync(BusyboxImage, timeout.Token);
        var options = new KubeletOptions
        {
            NodeName = NodeName,
            InternalIp = "127.0.0.1",
            DataDir = Path.Combine(_node.Options.DataDir, "kubelet"),
            LeaseRenewInterval = TimeSpan.FromSeconds(1),
            CgroupRoot = CgroupRoot,
        };
        var kubelet = new Skiff.Agent.Kubelet.Kubelet(_client, _node.Client, options, NullLoggerFactory.Instance);
        _kubelet = kubelet.RunAsync(_stop.Token);
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

        RemoveCgroupRoot();

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>rmdir, deepest first, of the cgroup root in every hierarchy (cgroup dirs hold only kernel files).</summary>
    private void RemoveCgroupRoot()
    {
        foreach (string hierarchy in Directory.Exists("/sys/fs/cgroup") ? Directory.EnumerateDirectories("/sys/fs/cgroup") : [])
        {
            string root = hierarchy + CgroupRoot;
            if (Directory.Exists(root))
            {
                foreach (string dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(root))
                {
                    Directory.Delete(dir, recursive: false);
                }
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
