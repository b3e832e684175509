using System.Diagnostics;
using k8s;
using k8s.Models;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Pods;

/// <summary>
/// The idle resident memory of a <c>skiff agent</c> process (kubelet and its HTTPS server; containerd is its own process and
/// is not counted): the agent joins the benchmark's server, its Node turns Ready, then it idles for 10 s before VmRSS is read.
/// </summary>
internal static class AgentMemory
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The agent's VmRSS and private resident bytes, or null (with the reason on the progress stream) when no agent became Ready.</summary>
    public static async Task<(long Rss, long Private)?> MeasureAsync(string binary, SkiffServerProcess server, Kubernetes client, string dataDir, IProgress<string> progress, CancellationToken cancellationToken)
    {
        string nodeName = "bench-agent-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        string token = (await File.ReadAllTextAsync(Path.Combine(server.DataDirectory, "token"), cancellationToken)).Trim();
        progress.Report($"memory: skiff agent {nodeName} joins, turns Ready and idles {Settle.TotalSeconds:0} s");
        await using ChildProcess agent = SkiffCommand.Binary(binary).Start(
        [
            "agent", "--server", server.Url.ToString(), "--token", token, "--data-dir", dataDir, "--node-name", nodeName,
            "--node-ip", "127.0.0.1", "--kubelet-port", LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ]);
        long started = Stopwatch.GetTimestamp();
        while (!await ReadyAsync(client, nodeName, cancellationToken))
        {
            if (agent.HasExited || Stopwatch.GetElapsedTime(started) > ReadyTimeout)
            {
                progress.Report("memory: the agent did not register a Ready node; not measured. Its output:\n" + agent.Output());
                return null;
            }

            await Task.Delay(200, cancellationToken);
        }

        await Task.Delay(Settle, cancellationToken);
        (long, long) rss = (ResidentMemory.Of(agent.Pid), ResidentMemory.PrivateOf(agent.Pid));
        await agent.StopAsync(TimeSpan.FromSeconds(20));
        try
        {
            await client.CoreV1.DeleteNodeAsync(nodeName, cancellationToken: cancellationToken);
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // Already gone.
        }

        return rss;
    }

    /// <summary>Whether the Node exists and its Ready condition is True.</summary>
    public static async Task<bool> ReadyAsync(Kubernetes client, string nodeName, CancellationToken cancellationToken)
    {
        try
        {
            V1Node node = await client.CoreV1.ReadNodeAsync(nodeName, cancellationToken: cancellationToken);
            return node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
