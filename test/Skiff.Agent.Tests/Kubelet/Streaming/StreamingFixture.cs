using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet.Streaming;
using Skiff.Agent.Runtime.Cri;
using Skiff.Agent.Tests.Runtime;

namespace Skiff.Agent.Tests.Kubelet.Streaming;

/// <summary>
/// A real containerd running one busybox pod "web" with three containers: "app" serves <c>hi-from-pod</c> on port 8080 (busybox
/// nc), "echo" echoes what it gets on port 8081 and "ticker" prints <c>tick</c> five times a second. <see cref="StreamingHandlers"/> are hosted in a loopback Kestrel
/// under the API server's paths (<c>/api/v1/namespaces/default/pods/web/{exec,attach,portforward}</c>), the container
/// chosen by the <c>container</c> query parameter, as the kubelet's server does once it has resolved the CRI ids.
/// <see cref="Sessions"/> counts handler calls still running, so tests can see that a session ended.
/// </summary>
public sealed class StreamingFixture : IAsyncLifetime
{
    public const int ServedPort = 8080;
    public const string ServedText = "hi-from-pod";
    public const int EchoPort = 8081;

    private ContainerdTestNode? _node;
    private WebApplication? _app;
    private readonly Dictionary<string, string> _containers = [];
    private string _sandboxId = "";
    private int _sessions;

    /// <summary>http://127.0.0.1:port of the test server.</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1");

    /// <summary>Handler calls in progress.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    public Uri PodUri(string subresource, string query = "") =>
        new(BaseUri, "/api/v1/namespaces/default/pods/web/" + subresource + (query.Length > 0 ? "?" + query : ""));

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _node = await ContainerdTestNode.StartAsync(cts.Token);
        const string image = "skiff.local/busybox:stream";
        await _node.ImportBusyboxAsync(image, cts.Token);
        var client = _node.Client;
        var sandboxConfig = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = "web", Namespace = "default", Uid = Guid.NewGuid().ToString() },
            Hostname = "web",
            LogDirectory = _node.LogDir,
            Linux = new LinuxPodSandboxConfig(),
        };
        var sandbox = await client.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = sandboxConfig }, client.Options(cts.Token));
        _sandboxId = sandbox.PodSandboxId;
        string[][] containers =
        [
            ["app", "/bin/busybox", "nc", "-ll", "-p", ServedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "/bin/echo", ServedText],
            ["echo", "/bin/busybox", "nc", "-ll", "-p", EchoPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "/bin/cat"],
            ["ticker", "/bin/sh", "-c", "while true; do echo tick; sleep 0.2; done"],
        ];
        foreach (var spec in containers)
        {
            var config = new ContainerConfig
            {
                Metadata = new ContainerMetadata { Name = spec[0] },
                Image = new ImageSpec { Image = image },
                Command = { spec[1..] },
                LogPath = spec[0] + "/0.log",
                Linux = new LinuxContainerConfig(),
            };
            var created = await client.Runtime.CreateContainerAsync(
                new CreateContainerRequest { PodSandboxId = _sandboxId, Config = config, SandboxConfig = sandboxConfig }, client.Options(cts.Token));
            await client.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = created.ContainerId }, client.Options(cts.Token));
            _containers[spec[0]] = created.ContainerId;
        }

        var handlers = new StreamingHandlers(client, NullLogger.Instance);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        string[] methods = ["GET", "POST"];
        _app.MapMethods("/api/v1/namespaces/default/pods/web/exec", methods,
            context => TrackAsync(() => handlers.ExecAsync(context, ContainerId(context), attach: false, context.RequestAborted)));
        _app.MapMethods("/api/v1/namespaces/default/pods/web/attach", methods,
            context => TrackAsync(() => handlers.ExecAsync(context, ContainerId(context), attach: true, context.RequestAborted)));
        _app.MapMethods("/api/v1/namespaces/default/pods/web/portforward", methods,
            context => TrackAsync(() => handlers.PortForwardAsync(context, _sandboxId, context.RequestAborted)));
        await _app.StartAsync(cts.Token);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address);
        await WaitForServerAsync(cts.Token);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public async Task WaitForNoSessionsAsync(CancellationToken cancellationToken)
    {
        while (Sessions > 0)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private string ContainerId(HttpContext context)
    {
        var name = context.Request.Query["container"].ToString();
        return _containers.TryGetValue(name.Length == 0 ? "app" : name, out var id) ? id : "no-such-container";
    }

    private async Task TrackAsync(Func<Task> handler)
    {
        Interlocked.Increment(ref _sessions);
        try
        {
            await handler();
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
        }
    }

    /// <summary>
    /// Waits until both nc servers listen: their sockets show in the pod's /proc/net/tcp or tcp6 (nc listens on ::) in state
    /// 0A (LISTEN).
    /// </summary>
    private async Task WaitForServerAsync(CancellationToken cancellationToken)
    {
        string[] ports = [$":{ServedPort:X4} ", $":{EchoPort:X4} "];
        while (true)
        {
            var result = await _node!.Client.Runtime.ExecSyncAsync(
                new ExecSyncRequest { ContainerId = _containers["app"], Cmd = { "cat", "/proc/net/tcp", "/proc/net/tcp6" }, Timeout = 5 },
                _node.Client.Options(cancellationToken));
            var listening = result.Stdout.ToStringUtf8().Split('\n')
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 3 && f[3] == "0A")
                .Select(f => f[1] + " ")
                .ToList();
            if (ports.All(p => listening.Any(l => l.EndsWith(p, StringComparison.Ordinal))))
            {
                return;
            }
            await Task.Delay(50, cancellationToken);
        }
    }
}
