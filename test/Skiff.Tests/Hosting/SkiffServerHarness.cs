using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Skiff.Pki;
using Skiff.TestKit.Processes;

namespace Skiff.Tests.Hosting;

/// <summary>Starts real <c>skiff server</c> processes on loopback and talks to them trusting only their data directory's CA.</summary>
internal static class SkiffServerHarness
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    public static SkiffProcess StartServer(string dataDirectory, int port) => SkiffProcess.Start(
    [
        "server", "--data-dir", dataDirectory, "--bind-address", "127.0.0.1", "--secure-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--disable-agent", "--node-name", "test-server",
    ]);

    public static async Task WaitReadyAsync(SkiffProcess server, string dataDirectory, int port)
    {
        string caPath = new DataDirectory(dataDirectory).CaCertificate;
        await server.WaitUntilAsync(
            async () =>
            {
                if (!File.Exists(caPath))
                {
                    return false;
                }

                try
                {
                    (HttpStatusCode status, _) = await GetAsync(dataDirectory, port, "/readyz");
                    return status == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            StartTimeout,
            "/readyz answering 200");
    }

    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(string dataDirectory, int port, string path)
    {
        using X509Certificate2 ca = PemFiles.ReadCertificate(new DataDirectory(dataDirectory).CaCertificate);
        var trust = new CaTrust(ca);
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is X509Certificate2 presented
            && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && trust.IsIssuedByCa(presented);
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage response = await client.GetAsync(new Uri($"https://127.0.0.1:{port}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static async Task<(int ExitCode, string Output)> RunKubectlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await output + await error);
    }
}
