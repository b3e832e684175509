using System.Globalization;
using k8s;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Hosting;

/// <summary>
/// One real <c>skiff server</c> WITH its embedded agent (containerd and the kubelet), on loopback, with a data dir, API port,
/// kubelet port and /24 cluster CIDR of its own; the tests may kill -9 and restart it. On dispose the server stops, and the
/// containerd it may have left, the pods, mounts, bridge and data dir are removed.
/// </summary>
public sealed class EmbeddedAgentFixture : IAsyncLifetime, IDisposable
{
    public const string BusyboxImage = "skiff.local/busybox:embedded";

    private SkiffServerProcess? _server;
    private Kubernetes? _client;

    internal AgentDataDirectory Data { get; } = new("skiff-embedded-");

    public string NodeName { get; } = "embedded-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    public int Port { get; } = LoopbackPort.Free();

    public int KubeletPort { get; } = LoopbackPort.Free();

    public string ClusterCidr { get; } = $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24";

    public SkiffServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public Kubernetes Client => _client ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await StartAsync(timeout.Token);
        await Data.ImportBusyboxAsync(BusyboxImage, timeout.Token);
    }

    /// <summary>Starts (or starts again, on the same data dir and ports) <c>skiff server</c> with its agent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _server = await SkiffServerProcess.StartAsync(
            new SkiffServerOptions
            {
                DataDirectory = Data.Root,
                Port = Port,
                DisableAgent = false,
                StartTimeout = TimeSpan.FromSeconds(90),
                ExtraArguments =
                [
                    "--node-name", NodeName, "--cluster-cidr", ClusterCidr, "--node-cidr-mask-size", "24", "--node-ip", "127.0.0.1",
                    "--kubelet-port", KubeletPort.ToString(CultureInfo.InvariantCulture), "--kube-reserved", "cpu=100m,memory=256Mi",
                ],
            },
            cancellationToken);
        _client?.Dispose();
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
    }

    /// <summary>SIGKILL to skiff (not to containerd, which runs in its own session); returns once it is gone.</summary>
    public async Task KillServerAsync()
    {
        using (var process = System.Diagnostics.Process.GetProcessById(Server.Pid))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        await Server.DisposeAsync();
        _server = null;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync(TimeSpan.FromSeconds(20));
            await _server.DisposeAsync();
        }

        await Data.CleanUpAsync();
    }

    // xunit calls DisposeAsync and then Dispose on a fixture: everything stops in the first, the client is released in the second.
    public void Dispose() => _client?.Dispose();
}
