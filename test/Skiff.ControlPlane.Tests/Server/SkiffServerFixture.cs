using k8s;
using Skiff.TestKit.Server;

namespace Skiff.ControlPlane.Tests.Server;

/// <summary>One real <c>skiff server</c> (without its controller manager) per test class, and an official KubernetesClient built from its admin kubeconfig.</summary>
public sealed class SkiffServerFixture : IAsyncLifetime, IDisposable
{
    private SkiffServerProcess? _server;
    private Kubernetes? _client;

    public SkiffServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Kubernetes Client => _client ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>A second client of the same server, as a separate process (another controller manager) would have.</summary>
    public Kubernetes NewClient() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.KubeconfigPath));

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        // The tests run the controllers under test themselves; the server's own controller manager would race them.
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = ["--disable-controller-manager"] }, timeout.Token);
        _client = NewClient();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose() => _client?.Dispose();
}
