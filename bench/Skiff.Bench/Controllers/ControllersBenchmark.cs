using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using k8s;
using k8s.Models;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Controllers;

/// <summary>
/// <c>Skiff.Bench controllers</c>: the real <c>skiff server</c> (embedded SQLite, its own controller manager) on loopback
/// HTTPS. The harness plays the kubelet where the issue asks for ready pods; no scheduler or agent runs.
/// </summary>
internal sealed class ControllersBenchmark
{
    public const int Replicas = 1_000;
    public const int InformerPods = 10_000;
    public const int Clients = 32;
    private const string DirectNamespace = "bench-direct";
    private const string DeployNamespace = "bench-deploy";
    private const string FillNamespace = "bench-fill";
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    private readonly string _binary;
    private readonly IProgress<string> _progress;

    private ControllersBenchmark(string binary, IProgress<string> progress)
    {
        _binary = binary;
        _progress = progress;
    }

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(progress);
        string binary = SkiffBinary.Locate();
        var benchmark = new ControllersBenchmark(binary, new LineProgress(progress));
        long started = Stopwatch.GetTimestamp();
        ControllersFigures figures = await benchmark.MeasureAsync(cancellationToken);
        ControllersReport.Write(report, binary, figures, Stopwatch.GetElapsedTime(started));
    }

    private async Task<ControllersFigures> MeasureAsync(CancellationToken cancellationToken)
    {
        DirectoryInfo data = Directory.CreateTempSubdirectory("skiff-bench-controllers-");
        try
        {
            ControllersFigures figures;
            await using (SkiffServerProcess server = await StartAsync(data.FullName, controllerManager: true, cancellationToken))
            {
                figures = await MeasureWorkloadsAsync(server, cancellationToken);
            }

            // The same 10,000 pods, two fresh starts on the same data: the difference is what the controller manager holds.
            long without = await SettledRssAsync(data.FullName, controllerManager: false, cancellationToken);
            long with = await SettledRssAsync(data.FullName, controllerManager: true, cancellationToken);
            return figures with { RssWithoutControllers = without, RssWithControllers = with };
        }
        finally
        {
            TempDirectories.Delete(data.FullName);
        }
    }

    private async Task<ControllersFigures> MeasureWorkloadsAsync(SkiffServerProcess server, CancellationToken cancellationToken)
    {
        using var api = ApiClient.Open(server.KubeconfigPath, http2: false);
        using var client = new Kubernetes(api.Configuration);
        foreach (string ns in (string[])[DirectNamespace, DeployNamespace, FillNamespace])
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
        }

        _progress.Report("warm-up: a 20-replica Deployment and 100 direct pod creates");
        await CreatePodsAsync(api, FillNamespace, "warm", 100, cancellationToken);
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("warm", 20, "nginx:1"), FillNamespace, cancellationToken: cancellationToken);
        await WaitAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(FillNamespace, labelSelector: "app=warm", cancellationToken: cancellationToken)).Items.Count == 20, cancellationToken);

        _progress.Report($"baseline: {Replicas} pods POSTed by the harness with {Clients} clients");
        Throughput direct = await CreatePodsAsync(api, DirectNamespace, "direct", Replicas, cancellationToken);

        _progress.Report($"Deployment of {Replicas} replicas: until every pod exists");
        await using var pods = new PodWatch(client, DeployNamespace);
        await pods.StartAsync(cancellationToken);
        long creating = Stopwatch.GetTimestamp();
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("web", Replicas, "nginx:1"), DeployNamespace, cancellationToken: cancellationToken);
        await pods.WaitForCountAsync(Replicas, PhaseTimeout, cancellationToken);
        TimeSpan allExist = Stopwatch.GetElapsedTime(creating);

        _progress.Report("the harness marks every pod Running and Ready; until the Deployment is available");
        await using var kubelet = new ReadyKubelet(api, pods, DeployNamespace, Clients);
        long readying = Stopwatch.GetTimestamp();
        await WaitForRolloutAsync(client, "web", 1, cancellationToken);
        TimeSpan available = Stopwatch.GetElapsedTime(readying);

        _progress.Report($"rolling update of {Replicas} replicas (25% surge, 25% unavailable), pods marked ready by the harness");
        long rolling = Stopwatch.GetTimestamp();
        V1Deployment updated = await client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:2\"}]}}}}", V1Patch.PatchType.StrategicMergePatch),
            "web",
            DeployNamespace,
            cancellationToken: cancellationToken);
        await WaitForRolloutAsync(client, "web", updated.Metadata.Generation ?? 2, cancellationToken);
        TimeSpan rolledOut = Stopwatch.GetElapsedTime(rolling);
        int readyPatches = kubelet.Patched;

        int existing = (await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken)).Items.Count;
        int fill = Math.Max(0, InformerPods - existing);
        _progress.Report($"filling the cluster to {InformerPods} pods ({fill} more)");
        await CreatePodsAsync(api, FillNamespace, "fill", fill, cancellationToken);
        return new ControllersFigures
        {
            Direct = direct,
            AllPodsExist = allExist,
            Available = available,
            RollingUpdate = rolledOut,
            ReadyPatches = readyPatches,
            TotalPods = existing + fill,
        };
    }

    private async Task<long> SettledRssAsync(string data, bool controllerManager, CancellationToken cancellationToken)
    {
        string which = controllerManager ? "with" : "without";
        _progress.Report($"memory: restart {which} the controller manager on the same data");
        await using SkiffServerProcess server = await StartAsync(data, controllerManager, cancellationToken);
        using var api = ApiClient.Open(server.KubeconfigPath, http2: false);
        using var client = new Kubernetes(api.Configuration);
        // The same read on both starts, so the API server's caches are equally warm.
        ApiClient.EnsureSuccess(await api.GetAsync("/api/v1/pods", cancellationToken), "LIST pods");
        if (controllerManager)
        {
            // The ReplicaSet queue has work only once the controllers lead and their informers listed everything.
            await WaitAsync(async () => Encoding.UTF8.GetString((await api.GetWithBodyAsync("/metrics", cancellationToken)).Body ?? []).Contains("workqueue_adds_total{name=\"replicaset\"}", StringComparison.Ordinal), cancellationToken);
        }

        await Task.Delay(Settle, cancellationToken);
        return ResidentMemory.Of(server.Pid);
    }

    private Task<SkiffServerProcess> StartAsync(string data, bool controllerManager, CancellationToken cancellationToken) =>
        SkiffServerProcess.StartAsync(
            new SkiffServerOptions
            {
                Skiff = SkiffCommand.Binary(_binary),
                DataDirectory = data,
                // Request logging at Information would put the console, not the server, on the measured path.
                ExtraArguments = controllerManager ? ["--log-level", "Warning"] : ["--log-level", "Warning", "--disable-controller-manager"],
                StartTimeout = TimeSpan.FromMinutes(2),
            },
            cancellationToken);

    private static async Task<Throughput> CreatePodsAsync(ApiClient api, string ns, string prefix, int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return new Throughput(0, TimeSpan.Zero, new Latency());
        }

        var issued = new StrongBox<int>(-1);
        string path = $"/api/v1/namespaces/{ns}/pods";
        Throughput created = await LoadRunner.RunAsync(Clients, new PhaseLimit(PhaseTimeout, count), async (_, _, token) =>
        {
            int i = Interlocked.Increment(ref issued.Value);
            ApiClient.EnsureSuccess(await api.CreateAsync(path, ApiObjects.Pod(string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i:D5}"), i % 100), token), "POST " + path);
        }, cancellationToken);
        return created.Operations == count ? created : throw new InvalidOperationException($"only {created.Operations} of {count} pods were created");
    }

    private static async Task WaitForRolloutAsync(Kubernetes client, string name, long generation, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PhaseTimeout);
        await WaitAsync(async () =>
        {
            V1DeploymentStatus? s = (await client.AppsV1.ReadNamespacedDeploymentAsync(name, DeployNamespace, cancellationToken: timeout.Token)).Status;
            return s is not null && s.ObservedGeneration >= generation && s.UpdatedReplicas == Replicas && s.Replicas == Replicas && s.AvailableReplicas == Replicas;
        }, timeout.Token);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition())
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static V1Deployment Deployment(string name, int replicas, string image) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = image }] },
            },
        },
    };

}
