using k8s;
using Xunit;

namespace Skiff.TestKit.Server;

/// <summary>
/// One real <c>skiff server</c> per test class (an xunit class fixture), and an official KubernetesClient built from its admin
/// kubeconfig. Derive and override <see cref="Options"/> to start it differently.
/// </summary>
public class SkiffServerFixture : IAsyncLifetime, IDisposable
{
    private SkiffServerProcess? _server;
    private Kubernetes? _client;

    public SkiffServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Kubernetes Client => _client ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>How the server is started; null for the defaults.</summary>
    protected virtual SkiffServerOptions? Options => null;

    /// <summary>A second client of the same server, as a separate process (another controller manager) would have.</summary>
    public Kubernetes NewClient() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Server.KubeconfigPath));

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _server = await SkiffServerProcess.StartAsync(Options, timeout.Token);
        _client = NewClient();
    }

    // xunit calls DisposeAsync and then Dispose on a fixture: the server stops in the first, the client is released in the second.
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        GC.SuppressFinalize(this);
    }
}
