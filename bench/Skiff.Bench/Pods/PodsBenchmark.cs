using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Pods;

/// <summary>
/// <c>Skiff.Bench pods</c>: pod startup latency (create until the pod is seen Running through a watch) on a real
/// <c>skiff server</c> (API server, scheduler, controllers) with Skiff's kubelet (Skiff.Agent, in the benchmark's process)
/// on a real containerd, beside the same sandbox and container created straight through CRI in the same run; then the idle
/// resident memory of a <c>skiff agent</c> process joined to the server.
/// </summary>
internal sealed class PodsBenchmark
{
    public const int Sequential = 50;
    public const int Batch = 30;
    private const string Namespace = "bench-pods";
    private static readonly TimeSpan PodTimeout = TimeSpan.FromMinutes(2);

    private readonly string _binary;
    private readonly IProgress<string> _progress;

    private PodsBenchmark(string binary, IProgress<string> progress)
    {
        _binary = binary;
        _progress = progress;
    }

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(progress);
        string binary = SkiffBinary.Locate();
        var benchmark = new PodsBenchmark(binary, new LineProgress(progress));
        long started = Stopwatch.GetTimestamp();
        PodsFigures figures = await benchmark.MeasureAsync(cancellationToken);
        PodsReport.Write(report, binary, figures, Stopwatch.GetElapsedTime(started));
    }

    private async Task<PodsFigures> MeasureAsync(CancellationToken cancellationToken)
    {
        DirectoryInfo data = Directory.CreateTempSubdirectory("skiff-bench-pods-");
        try
        {
            await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { Skiff = SkiffCommand.Binary(_binary) }, cancellationToken);
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
            PodsFigures figures;
            await using (BenchNode node = await BenchNode.StartAsync(Path.Combine(data.FullName, "containerd"), cancellationToken))
            {
                figures = await MeasureStartupAsync(client, node, Path.Combine(data.FullName, "kubelet"), cancellationToken);
            }

            return figures with { AgentRss = await AgentMemory.MeasureAsync(_binary, server, client, Path.Combine(data.FullName, "agent"), _progress, cancellationToken) };
        }
        finally
        {
            TempDirectories.Delete(data.FullName);
        }
    }

    private async Task<PodsFigures> MeasureStartupAsync(Kubernetes client, BenchNode node, string kubeletDir, CancellationToken cancellationToken)
    {
        // Raw CRI first, with no kubelet running: the kubelet would take the raw sandboxes (no pod in the API) for orphans.
        string rawLogs = Path.Combine(kubeletDir, "raw-logs");
        _progress.Report("raw CRI warm-up: 3 sandboxes");
        await RawCri.SequentialAsync(node.Cri, rawLogs, 3, cancellationToken);
        await node.RemoveAllSandboxesAsync(cancellationToken);
        _progress.Report($"raw CRI: {Sequential} sandboxes one after another");
        Latency rawSequential = await RawCri.SequentialAsync(node.Cri, rawLogs, Sequential, cancellationToken);
        await node.RemoveAllSandboxesAsync(cancellationToken);
        _progress.Report($"raw CRI: a batch of {Batch} at once");
        Latency rawBatch = await RawCri.BatchAsync(node.Cri, rawLogs, Batch, cancellationToken);
        await node.RemoveAllSandboxesAsync(cancellationToken);

        using var stopKubelet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var options = new Skiff.Agent.Kubelet.KubeletOptions { NodeName = "bench-node", InternalIp = "127.0.0.1", DataDir = kubeletDir };
        var kubelet = new Skiff.Agent.Kubelet.Kubelet(client, node.Cri, options, NullLoggerFactory.Instance);
        Task running = kubelet.RunAsync(stopKubelet.Token);
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
            await WaitAsync(() => AgentMemory.ReadyAsync(client, options.NodeName, cancellationToken), cancellationToken);
            _progress.Report("skiff warm-up: 3 pods");
            await SkiffSequentialAsync(client, "warm", 3, cancellationToken);
            await CleanAsync(client, node, cancellationToken);
            _progress.Report($"skiff: {Sequential} pods one after another");
            Latency skiffSequential = await SkiffSequentialAsync(client, "seq", Sequential, cancellationToken);
            await CleanAsync(client, node, cancellationToken);
            _progress.Report($"skiff: a batch of {Batch} at once");
            Latency skiffBatch = await SkiffBatchAsync(client, "batch", Batch, cancellationToken);
            await CleanAsync(client, node, cancellationToken);
            return new PodsFigures { SkiffSequential = skiffSequential, RawSequential = rawSequential, SkiffBatch = skiffBatch, RawBatch = rawBatch };
        }
        finally
        {
            await stopKubelet.CancelAsync();
            await running;
        }
    }

    private static async Task<Latency> SkiffSequentialAsync(Kubernetes client, string prefix, int count, CancellationToken cancellationToken)
    {
        await using var watch = new RunningWatch(client, Namespace);
        await watch.StartAsync(cancellationToken);
        var latency = new Latency();
        for (int i = 0; i < count; i++)
        {
            string name = $"{prefix}-{i}";
            Task<long> running = watch.RunningAsync(name);
            long started = Stopwatch.GetTimestamp();
            await client.CoreV1.CreateNamespacedPodAsync(Pod(name), Namespace, cancellationToken: cancellationToken);
            latency.Record(await running.WaitAsync(PodTimeout, cancellationToken) - started);
        }

        return latency;
    }

    private static async Task<Latency> SkiffBatchAsync(Kubernetes client, string prefix, int count, CancellationToken cancellationToken)
    {
        await using var watch = new RunningWatch(client, Namespace);
        await watch.StartAsync(cancellationToken);
        long started = Stopwatch.GetTimestamp();
        long[] done = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            string name = $"{prefix}-{i}";
            Task<long> running = watch.RunningAsync(name);
            await client.CoreV1.CreateNamespacedPodAsync(Pod(name), Namespace, cancellationToken: cancellationToken);
            return await running.WaitAsync(PodTimeout, cancellationToken) - started;
        }));
        var latency = new Latency();
        foreach (long ticks in done)
        {
            latency.Record(ticks);
        }

        return latency;
    }

    /// <summary>Deletes the benchmark's pods (grace 0) and waits until the API holds none and the kubelet removed their sandboxes.</summary>
    private static async Task CleanAsync(Kubernetes client, BenchNode node, CancellationToken cancellationToken)
    {
        await client.CoreV1.DeleteCollectionNamespacedPodAsync(Namespace, gracePeriodSeconds: 0, cancellationToken: cancellationToken);
        await WaitAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(Namespace, cancellationToken: cancellationToken)).Items.Count == 0, cancellationToken);
        await WaitAsync(async () => (await node.Cri.Runtime.ListPodSandboxAsync(new Skiff.Agent.Runtime.Cri.ListPodSandboxRequest(), node.Cri.Options(cancellationToken))).Items.Count == 0, cancellationToken);
    }

    private static V1Pod Pod(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 0,
            Containers = [new V1Container { Name = "main", Image = BenchNode.Image, ImagePullPolicy = "IfNotPresent", Command = ["sleep", "3600"] }],
        },
    };

    internal static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Stopwatch.GetElapsedTime(started) > PodTimeout)
            {
                throw new TimeoutException("the benchmark's cluster did not reach the expected state in " + PodTimeout);
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
