using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Registry;

/// <summary>
/// Debian's <c>docker-registry</c> on a free 127.0.0.1 port, plain HTTP, with its config and storage in a temp directory,
/// optionally behind htpasswd basic auth (the bcrypt line comes from <c>htpasswd -B</c>). Images are pushed from OCI archives
/// with <c>skopeo</c>. Stopped by PID and its directory removed on dispose.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private LocalRegistry(ChildProcess process, int port, string directory, (string User, string Password)? credentials)
    {
        _process = process;
        Port = port;
        Directory = directory;
        Credentials = credentials;
    }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>: the registry part of an image name.</summary>
    public string Host => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The temp directory holding config.yml, htpasswd and storage/.</summary>
    public string Directory { get; }

    /// <summary>The user that may pull and push when the registry requires basic auth; null when it is open.</summary>
    public (string User, string Password)? Credentials { get; }

    public int Pid => _process.Pid;

    /// <summary>Starts a registry; with <paramref name="credentials"/> every request needs that user's basic auth.</summary>
    public static Task<LocalRegistry> StartAsync((string User, string Password)? credentials, CancellationToken cancellationToken) =>
        LoopbackPort.RetryStartAsync(ct => StartOnceAsync(credentials, ct), cancellationToken);

    private static async Task<LocalRegistry> StartOnceAsync((string User, string Password)? credentials, CancellationToken cancellationToken)
    {
        int port = LoopbackPort.Free();
        string dir = Path.Combine(Path.GetTempPath(), "skiff-registry-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8]);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "storage"));
        var config = new StringBuilder()
            .AppendLine("version: 0.1")
            .AppendLine("log:\n  level: warn")
            .AppendLine(CultureInfo.InvariantCulture, $"storage:\n  filesystem:\n    rootdirectory: {dir}/storage")
            .AppendLine(CultureInfo.InvariantCulture, $"http:\n  addr: 127.0.0.1:{port}");
        if (credentials is { } c)
        {
            string line = await RunAsync("htpasswd", ["-Bbn", c.User, c.Password], cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir, "htpasswd"), line.Trim() + "\n", cancellationToken);
            config.AppendLine(CultureInfo.InvariantCulture, $"auth:\n  htpasswd:\n    realm: skiff-test\n    path: {dir}/htpasswd");
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "config.yml"), config.ToString(), cancellationToken);
        ChildProcess process = ChildProcess.Start(new ChildProcessOptions("docker-registry", ["serve", Path.Combine(dir, "config.yml")])
        {
            Name = "docker-registry :" + port.ToString(CultureInfo.InvariantCulture),
            StopTimeout = TimeSpan.FromSeconds(5),
        });
        var registry = new LocalRegistry(process, port, dir, credentials);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await process.WaitUntilAsync(async ct => await registry.AnswersAsync(http, ct), TimeSpan.FromSeconds(15), "answering /v2/", cancellationToken);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pushes the single image of an OCI archive (image layout tar) as <c>Host/repositoryAndTag</c>.</summary>
    public async Task<string> PushAsync(string ociArchive, string repositoryAndTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repositoryAndTag);
        string reference = Host + "/" + repositoryAndTag;
        List<string> args = ["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"];
        if (Credentials is { } c)
        {
            args.Add("--dest-creds=" + c.User + ":" + c.Password);
        }

        args.AddRange(["oci-archive:" + ociArchive, "docker://" + reference]);
        await RunAsync("skopeo", args, cancellationToken);
        return reference;
    }

    /// <summary>Whether the registry has a manifest for <c>repository:tag</c> (asked with the credentials, if any).</summary>
    public async Task<bool> HasAsync(string repository, string tag, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{Host}/v2/{repository}/manifests/{tag}"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        request.Headers.Accept.ParseAdd("application/vnd.docker.distribution.manifest.v2+json");
        Authorize(request);
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        TempDirectories.Delete(Directory);
    }

    private async Task<bool> AnswersAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{Host}/v2/"));
            Authorize(request);
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (Credentials is { } c)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(c.User + ":" + c.Password)));
        }
    }

    private static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException(file + " did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}: {await stderr}");
        }

        return output;
    }
}
