using Skiff.TestKit.Processes;

namespace Skiff.Tests.Hosting;

/// <summary>One <c>skiff server</c> shared by the tests of a class, killed by PID when they are done.</summary>
public sealed class RunningServerFixture : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _data = new();
    private SkiffProcess? _server;

    public int Port { get; } = FreePorts.Loopback();

    public string DataDirectory => _data.Path;

    public Uri Url => new($"https://127.0.0.1:{Port}");

    public string Token => File.ReadAllText(Path.Combine(_data.Path, "token")).Trim();

    public async Task InitializeAsync()
    {
        _server = SkiffServerHarness.StartServer(_data.Path, Port);
        await SkiffServerHarness.WaitReadyAsync(_server, _data.Path, Port);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _data.Dispose();
    }

    public void Dispose() => _data.Dispose();
}
