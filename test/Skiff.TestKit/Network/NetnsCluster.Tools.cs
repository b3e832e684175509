using System.Diagnostics;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Network;

public sealed partial class NetnsCluster
{
    /// <summary>Runs the real <c>kubectl</c> against the cluster; returns its exit code and output (stdout, then stderr).</summary>
    public Task<(int ExitCode, string Output)> KubectlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync("kubectl", ["--kubeconfig", Server.KubeconfigPath, .. arguments], new Dictionary<string, string>(), cancellationToken);

    /// <summary><c>kubectl exec</c> of <paramref name="command"/> in a pod's first container.</summary>
    public Task<(int ExitCode, string Output)> ExecAsync(string ns, string pod, IEnumerable<string> command, CancellationToken cancellationToken) =>
        KubectlAsync(["exec", "-n", ns, pod, "--", .. command], cancellationToken);

    /// <summary>
    /// A docker-registry in the LAN namespace on <see cref="RegistryAddress"/>:5000 (the nodes' containerd pull from it through their
    /// registries file), filled with skiff/httpd and skiff/shell by <c>scripts/images.sh build</c> from this process through the host's veth.
    /// </summary>
    private async Task StartRegistryAsync(NetworkNamespace lan, CancellationToken cancellationToken)
    {
        string dir = Directory.CreateDirectory(Path.Combine(Root, "registry")).FullName;
        Directory.CreateDirectory(Path.Combine(dir, "storage"));
        string address = RegistryAddress + ":5000";
        string config = Path.Combine(dir, "config.yml");
        await File.WriteAllTextAsync(
            config,
            $"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {dir}/storage\nhttp:\n  addr: {address}\n",
            cancellationToken);
        _registry = lan.Start(new ChildProcessOptions("docker-registry", ["serve", config]) { Name = "docker-registry " + address, StopTimeout = TimeSpan.FromSeconds(5) });
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
        {
            await _registry.WaitUntilAsync(
                async token =>
                {
                    try
                    {
                        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://{address}/v2/"), token);
                        return response.IsSuccessStatusCode;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(20),
                "answering /v2/ from the host",
                cancellationToken);
        }

        var environment = new Dictionary<string, string>
        {
            ["SKIFF_DATA_DIR"] = Path.Combine(Root, "images"),
            ["SKIFF_REGISTRY_ADDR"] = address,
            ["SKIFF_IMAGES"] = _options.Images,
        };
        (int code, string output) = await RunAsync("bash", [Path.Combine(RepositoryRoot(), "scripts", "images.sh"), "build"], environment, cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException("scripts/images.sh build failed:\n" + output);
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "images.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("scripts/images.sh not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            info.Environment[name] = value;
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

        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
