using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Tests.Runtime;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Kubelet;

/// <summary>
/// What every kubelet fixture starts: a real <c>skiff server --disable-scheduler</c> (tests bind pods by setting
/// spec.nodeName), a real containerd with a busybox image, and a <see cref="Skiff.Agent.Kubelet.Kubelet"/> for node
/// <c>&lt;prefix&gt;-&lt;hex&gt;</c> with its own cgroup root, started with the options the fixture chose. On dispose the
/// kubelet stops, the Node is deleted, containerd stops by PID, its bridge and dirs and the cgroup root go, then the server.
/// </summary>
internal sealed class KubeletRig : IAsyncDisposable
{
    public const string BusyboxImage = "skiff.local/busybox:test";

    private CancellationTokenSource _stop = new();
    private Task? _kubelet;

    private KubeletRig(string nodeName, SkiffServerProcess server, Kubernetes client, ContainerdTestNode node)
    {
        NodeName = nodeName;
        Server = server;
        Client = client;
        Node = node;
    }

    public string NodeName { get; }

    /// <summary>The kubelet's own cgroup root (pod cgroups live below it), removed from every hierarchy on dispose.</summary>
    public string CgroupRoot { get; } = "/skiff-test-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];

    public SkiffServerProcess Server { get; }

    public Kubernetes Client { get; }

    public ContainerdTestNode Node { get; }

    /// <summary>The kubelet's task while it runs (it completes once it stopped).</summary>
    public Task? Running => _kubelet;

    public static async Task<KubeletRig> StartAsync(string nodePrefix, CancellationToken cancellationToken)
    {
        string nodeName = nodePrefix + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
        SkiffServerProcess server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = ["--disable-scheduler"] }, cancellationToken);
        var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
        ContainerdTestNode? node = null;
        try
        {
            node = await ContainerdTestNode.StartAsync(cancellationToken);
            await node.ImportBusyboxAsync(BusyboxImage, cancellationToken);
            return new KubeletRig(nodeName, server, client, node);
        }
        catch
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }

            client.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The options every fixture starts from: this node on 127.0.0.1, data under containerd's dir, 1 s lease renewals, own cgroup root.</summary>
    public KubeletOptions DefaultOptions() => new()
    {
        NodeName = NodeName,
        InternalIp = "127.0.0.1",
        DataDir = Path.Combine(Node.Options.DataDir, "kubelet"),
        LeaseRenewInterval = TimeSpan.FromSeconds(1),
        CgroupRoot = CgroupRoot,
    };

    public void StartKubelet(KubeletOptions options, ILoggerFactory? loggers = null)
    {
        var kubelet = new Skiff.Agent.Kubelet.Kubelet(Client, Node.Client, options, loggers ?? NullLoggerFactory.Instance);
        _kubelet = kubelet.RunAsync(_stop.Token);
    }

    /// <summary>Stops the kubelet (its containers keep running in containerd) and waits until it returned.</summary>
    public async Task StopKubeletAsync()
    {
        await _stop.CancelAsync();
        if (_kubelet is not null)
        {
            await _kubelet;
        }

        _stop.Dispose();
        _stop = new CancellationTokenSource();
    }

    public async ValueTask DisposeAsync()
    {
        await StopKubeletAsync();
        try
        {
            await Client.CoreV1.DeleteNodeAsync(NodeName);
        }
        catch (HttpOperationException)
        {
            // Never registered.
        }

        await Node.DisposeAsync();
        RemoveCgroupRoot();
        await Server.DisposeAsync();
        Client.Dispose();
        _stop.Dispose();
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
}
