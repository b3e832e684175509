using System.Globalization;
using System.Net;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Server;

/// <summary>
/// A <c>skiff server</c> (API server only, no agent) on loopback, by default on a free port with its data in a fresh temp
/// directory (or on <see cref="SkiffServerOptions.BindAddress"/> inside <see cref="SkiffServerOptions.NetworkNamespace"/>), for tests and benchmarks that drive it through real clients over HTTPS.
/// </summary>
public sealed class SkiffServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly SkiffServerOptions _options;
    private readonly bool _ownsDataDirectory;

    private SkiffServerProcess(ChildProcess process, SkiffServerOptions options, string dataDirectory, bool ownsDataDirectory, int port)
    {
        _process = process;
        _options = options;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Port = port;
    }

    /// <summary>The data directory the server uses; deleted on dispose when the server made it.</summary>
    public string DataDirectory { get; }

    /// <summary>The admin kubeconfig the server wrote, with inline CA and client certificate.</summary>
    public string KubeconfigPath => Path.Combine(DataDirectory, "admin.kubeconfig");

    /// <summary>The HTTPS port on <see cref="SkiffServerOptions.BindAddress"/>.</summary>
    public int Port { get; }

    public Uri Url => new($"https://{new IPEndPoint(_options.BindAddress, Port)}");

    /// <summary>The server process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>
    /// Starts <c>skiff server</c> and returns once it wrote its admin kubeconfig, <c>/readyz</c> answers 200 and the
    /// <c>default</c> namespace exists (the bootstrap has run, on a first start and on a restart alike).
    /// </summary>
    /// <exception cref="InvalidOperationException">skiff is missing or exited while starting.</exception>
    /// <exception cref="TimeoutException">It did not become ready within the start timeout.</exception>
    public static Task<SkiffServerProcess> StartAsync(SkiffServerOptions? options, CancellationToken cancellationToken)
    {
        options ??= new SkiffServerOptions();
        SkiffCommand skiff = options.Skiff ?? SkiffCommand.Dll();
        int? fixedPort = options.Port ?? (options.NetworkNamespace is null ? null : 6443);
        return fixedPort is { } port
            ? LaunchAsync(skiff, options, port, cancellationToken)
            : LoopbackPort.RetryStartAsync(token => LaunchAsync(skiff, options, LoopbackPort.Free(), token), cancellationToken);
    }

    /// <summary>The last lines skiff wrote, to assert on or to explain a failure.</summary>
    public string Output() => _process.Output();

    /// <summary>SIGTERM, then SIGKILL if it lingers past <paramref name="timeout"/>; returns the exit code.</summary>
    public Task<int> StopAsync(TimeSpan timeout) => _process.StopAsync(timeout);

    /// <summary>Stops skiff (SIGTERM, then SIGKILL if it lingers), then deletes the data directory if the server made it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            if (_ownsDataDirectory)
            {
                TempDirectories.Delete(DataDirectory);
            }
        }
    }

    private static async Task<SkiffServerProcess> LaunchAsync(SkiffCommand skiff, SkiffServerOptions options, int port, CancellationToken cancellationToken)
    {
        bool owns = options.DataDirectory is null;
        string dataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("skiff-server-").FullName;
        ChildProcess process;
        try
        {
            ChildProcessOptions command = skiff.Options(
            [
                "server",
                "--data-dir", dataDirectory,
                "--bind-address", options.BindAddress.ToString(),
                "--secure-port", port.ToString(CultureInfo.InvariantCulture),
                .. options.DisableAgent ? ["--disable-agent"] : options.AgentNetworkArguments,
                .. options.ExtraArguments,
            ]) with
            {
                WorkingDirectory = dataDirectory,
                StopTimeout = options.StopTimeout,
                TimeProvider = options.TimeProvider,
            };
            process = ChildProcess.Start(options.NetworkNamespace is { } netns ? command.InNetworkNamespace(netns) : command);
        }
        catch
        {
            if (owns)
            {
                TempDirectories.Delete(dataDirectory);
            }

            throw;
        }

        var server = new SkiffServerProcess(process, options, dataDirectory, owns, port);
        try
        {
            await server.WaitReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        HttpClient? http = null;
        try
        {
            await _process.WaitUntilAsync(
                async token =>
                {
                    // The kubeconfig is written atomically once the PKI exists, so its presence means it is complete.
                    if (http is null && File.Exists(KubeconfigPath))
                    {
                        http = AdminHttpClient.Create(DataDirectory, KubeconfigPath, Url);
                    }

                    return http is not null
                        && await AnswersOkAsync(http, "/readyz", token)
                        && await AnswersOkAsync(http, "/api/v1/namespaces/default", token);
                },
                _options.StartTimeout,
                "/readyz answering 200 with the default namespace",
                cancellationToken);
        }
        finally
        {
            http?.Dispose();
        }
    }

    private static async Task<bool> AnswersOkAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not listening yet.
            return false;
        }
    }
}
