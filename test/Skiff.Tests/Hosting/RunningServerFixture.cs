using Skiff.TestKit.Server;

namespace Skiff.Tests.Hosting;

/// <summary>One <c>skiff server</c> shared by the tests of a class, stopped by PID and its data deleted when they are done.</summary>
public sealed class RunningServerFixture : IAsyncLifetime
{
    private SkiffServerProcess? _server;

    private SkiffServerProcess Server => _server ?? throw new InvalidOperationException("The server is started in InitializeAsync.");

    public string DataDirectory => Server.DataDirectory;

    public Uri Url => Server.Url;

    public string Token => File.ReadAllText(Path.Combine(DataDirectory, "token")).Trim();

    public async Task InitializeAsync() => _server = await SkiffServerProcess.StartAsync(
        new SkiffServerOptions
        {
            ExtraArguments = ["--node-name", "test-server"],
            StartTimeout = SkiffServerHarness.StartTimeout,
            StopTimeout = SkiffServerHarness.StopTimeout,
        },
        CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
