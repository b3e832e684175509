using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Skiff.TestKit.Server;

/// <summary>
/// A throw-away <c>skiff server</c> (API server only, no agent) on a free loopback port with its data in a fresh temp
/// directory, for tests that drive it through real clients over HTTPS.
/// </summary>
public sealed partial class SkiffServerProcess : IAsyncDisposable
{
    private const int Sigterm = 15;
    private const int LogLinesKept = 200;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _directory;
    private readonly Queue<string> _log = new();
    private readonly Process _process;

    private SkiffServerProcess(string skiffDll, DirectoryInfo directory, int port)
    {
        _directory = directory;
        Port = port;
        _process = StartProcess(skiffDll);
    }

    /// <summary>The data directory the server owns; deleted on dispose.</summary>
    public string DataDirectory => _directory.FullName;

    /// <summary>The admin kubeconfig the server wrote, with inline CA and client certificate.</summary>
    public string KubeconfigPath => Path.Combine(_directory.FullName, "admin.kubeconfig");

    /// <summary>The HTTPS port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The server process id.</summary>
    public int Pid => _process.Id;

    /// <summary>
    /// Starts <c>dotnet skiff.dll server</c> and returns once it wrote its admin kubeconfig and <c>/readyz</c> answers 200.
    /// </summary>
    /// <param name="skiffDll">The skiff assembly; by default <c>skiff.dll</c> next to the running test assembly.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="InvalidOperationException">skiff is missing, exited, or did not become ready in time.</exception>
    public static async Task<SkiffServerProcess> StartAsync(string? skiffDll, CancellationToken cancellationToken)
    {
        skiffDll ??= Path.Combine(AppContext.BaseDirectory, "skiff.dll");
        if (!File.Exists(skiffDll))
        {
            throw new InvalidOperationException($"{skiffDll} is missing; reference src/Skiff from the test project or pass its path");
        }

        // A free port found by binding port 0 can be taken again before skiff binds it, so a failed start is retried on a new port.
        const int attempts = 3;
        for (int attempt = 1; ; attempt++)
        {
            var server = new SkiffServerProcess(skiffDll, Directory.CreateTempSubdirectory("skiff-server-"), FreeLoopbackPort());
            try
            {
                await server.WaitReadyAsync(cancellationToken);
                return server;
            }
            catch (InvalidOperationException) when (attempt < attempts && server._process.HasExited)
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Stops skiff with SIGTERM (killing it if it lingers), then deletes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _process.Dispose();
            try
            {
                _directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless; failing the test run over it is not.
            }
        }
    }

    /// <summary>The last lines skiff wrote, to explain a failure.</summary>
    public string RecentLog()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    private async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (SendSignal(_process.Id, Sigterm) != 0)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(s_stopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private Process StartProcess(string skiffDll)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory.FullName,
        };
        foreach (string argument in (string[])[
            skiffDll,
            "server",
            "--data-dir", _directory.FullName,
            "--bind-address", "127.0.0.1",
            "--secure-port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--disable-agent",
        ])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        long started = TimeProvider.System.GetTimestamp();
        HttpClient? http = null;
        try
        {
            while (TimeProvider.System.GetElapsedTime(started) < s_startTimeout)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"skiff exited with code {_process.ExitCode} while starting:\n{RecentLog()}");
                }

                // The kubeconfig is written atomically once the PKI exists, so its presence means it is complete.
                if (http is null && File.Exists(KubeconfigPath))
                {
                    http = CreateAdminHttpClient();
                }

                if (http is not null && await IsReadyAsync(http, cancellationToken))
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, cancellationToken);
            }
        }
        finally
        {
            http?.Dispose();
        }

        throw new InvalidOperationException($"skiff did not become ready within {s_startTimeout}:\n{RecentLog()}");
    }

    private static async Task<bool> IsReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Not listening yet.
            return false;
        }
    }

    /// <summary>
    /// An HttpClient that trusts only the cluster CA (<c>tls/ca.crt</c>) and presents the admin client certificate from the
    /// kubeconfig, so readiness is checked over the same TLS path the clients under test use.
    /// </summary>
    private HttpClient CreateAdminHttpClient()
    {
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);
        if (config.ClientCertificateData is null || config.ClientCertificateKeyData is null)
        {
            throw new InvalidOperationException($"{KubeconfigPath} carries no inline client certificate");
        }

        string certificatePem = Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData));
        string keyPem = Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData));
        using X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_directory.FullName, "tls", "ca.crt")));
        X509Certificate2 client = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [client];
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { X509CertificateLoader.LoadCertificate(ca.RawData) },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri($"https://127.0.0.1:{Port}"),
            Timeout = TimeSpan.FromSeconds(2),
        };
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLinesKept)
            {
                _log.Dequeue();
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
