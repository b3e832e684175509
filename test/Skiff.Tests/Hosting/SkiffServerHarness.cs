using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Skiff.Pki;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Tests.Hosting;

/// <summary>Runs real <c>skiff server</c> processes on loopback and talks to them trusting only their data directory's CA.</summary>
internal static class SkiffServerHarness
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Options for a <c>skiff server</c> on <paramref name="port"/> over a data directory the test owns, so it can be restarted on both.</summary>
    public static SkiffServerOptions ServerOptions(string dataDirectory, int port) => new()
    {
        DataDirectory = dataDirectory,
        Port = port,
        ExtraArguments = ["--node-name", "test-server"],
        // These tests are about the process (start, serve, stop, restart), and have always been ready at /readyz.
        StartTimeout = StartTimeout,
        StopTimeout = StopTimeout,
    };

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

    /// <summary>Runs kubectl to the end; its output (stdout, then anything on stderr, line by line) for the assertion message.</summary>
    public static async Task<(int ExitCode, string Output)> RunKubectlAsync(params string[] arguments)
    {
        await using ChildProcess kubectl = ChildProcess.Start(new ChildProcessOptions("/usr/bin/kubectl", arguments));
        int code = await kubectl.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, kubectl.Output());
    }
}
