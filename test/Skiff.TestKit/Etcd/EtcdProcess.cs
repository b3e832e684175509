using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Etcd;

/// <summary>
/// A throw-away single-member etcd on loopback ports, with its data in a fresh temp directory, for tests and benchmarks
/// that need the real thing rather than a fake.
/// </summary>
public sealed class EtcdProcess : IAsyncDisposable
{
    private const string EtcdPath = "/usr/bin/etcd";
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory;
    private readonly ChildProcessOptions _options;
    private ChildProcess _process;

    private EtcdProcess(DirectoryInfo directory, string clientUrl, string peerUrl)
    {
        _directory = directory;
        ClientUrl = clientUrl;
        _options = new ChildProcessOptions(EtcdPath,
        [
            "--name", "skiff-test",
            "--data-dir", Path.Combine(directory.FullName, "data"),
            "--listen-client-urls", clientUrl,
            "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", "skiff-test=" + peerUrl,
            "--initial-cluster-state", "new",
            "--logger", "zap",
            "--log-level", "warn",
        ])
        {
            WorkingDirectory = directory.FullName,
            OutputLinesKept = 200,
            StopTimeout = s_stopTimeout,
        };
        _process = ChildProcess.Start(_options);
    }

    /// <summary>The client URL, <c>http://127.0.0.1:PORT</c>.</summary>
    public string ClientUrl { get; }

    /// <summary>The client endpoint as <c>skiff server --datastore-endpoint</c> takes it, <c>etcd://127.0.0.1:PORT</c>.</summary>
    public string DatastoreEndpoint => "etcd://" + new Uri(ClientUrl).Authority;

    /// <summary>The etcd process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>Starts etcd and returns once its client port reports it healthy.</summary>
    /// <exception cref="InvalidOperationException">etcd is not installed or exited while starting.</exception>
    /// <exception cref="TimeoutException">etcd did not become healthy in time.</exception>
    public static async Task<EtcdProcess> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(EtcdPath))
        {
            throw new InvalidOperationException($"{EtcdPath} is missing; install it with: apt-get install -y etcd-server");
        }

        return await LoopbackPort.RetryStartAsync(LaunchAsync, cancellationToken);
    }

    /// <summary>
    /// Starts etcd, or says why it could not: for a benchmark where no etcd on the machine is a reason to skip the comparison,
    /// not to lose the other figures.
    /// </summary>
    public static async Task<(EtcdProcess? Etcd, string? Problem)> TryStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await StartAsync(cancellationToken), null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>
    /// Stops etcd with SIGTERM and starts it again on the same ports and data, as an operator restart would; returns once it
    /// is healthy. Clients see their connections and watch streams break.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await _process.DisposeAsync();
        _process = ChildProcess.Start(_options);
        await WaitHealthyAsync(cancellationToken);
    }

    /// <summary>The last lines etcd wrote, to explain a failure.</summary>
    public string Output() => _process.Output();

    /// <summary>Stops etcd with SIGTERM (killing it if it lingers), then deletes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            TempDirectories.Delete(_directory.FullName);
        }
    }

    private static async Task<EtcdProcess> LaunchAsync(CancellationToken cancellationToken)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("skiff-etcd-");
        EtcdProcess etcd;
        try
        {
            etcd = new EtcdProcess(directory, $"http://127.0.0.1:{LoopbackPort.Free()}", $"http://127.0.0.1:{LoopbackPort.Free()}");
        }
        catch
        {
            TempDirectories.Delete(directory.FullName);
            throw;
        }

        try
        {
            await etcd.WaitHealthyAsync(cancellationToken);
            return etcd;
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await _process.WaitUntilAsync(
            async token =>
            {
                try
                {
                    string body = await http.GetStringAsync(new Uri(ClientUrl + "/health"), token);
                    return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                    // Not listening yet.
                    return false;
                }
            },
            s_startTimeout,
            "reporting itself healthy",
            cancellationToken);
    }
}
