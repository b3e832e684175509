using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using k8s;
using k8s.Models;
using Skiff.Agent.Hollow;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Scheduler;

/// <summary>Case 4: pods/s and per-pod latency with the server's scheduler, and the same work bound by the client (baseline).</summary>
internal sealed record EndToEndFigures(int Nodes, int Pods, int Clients, CycleFigures Baseline, CycleFigures Scheduled);

/// <summary>
/// A real Release <c>skiff server</c> (embedded SQLite, controller manager off: bare pods give it no work) with
/// <see cref="HollowNodes"/> running in the bench process. Twice on fresh data: with <c>--disable-scheduler</c>, where each client
/// POSTs its pod and then the pod's binding itself (the API's ceiling for this work), and with the scheduler, where the clients
/// only create and the server's scheduler binds. In both, one watch on the namespace stops the clock at the last pod seen bound.
/// </summary>
internal static class EndToEndRun
{
    public const int Nodes = 200;
    public const int Pods = 3_000;
    public const int Clients = 32;
    private const string Namespace = "bench-sched";
    private const string WarmNamespace = "bench-warm";
    private const int WarmPods = 100;
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(5);

    public static async Task<EndToEndFigures> MeasureAsync(IProgress<string> progress, CancellationToken cancellationToken)
    {
        string binary = SkiffBinary.Locate();
        progress.Report($"end to end, baseline: --disable-scheduler, {Nodes} hollow nodes, {Pods} pods created and bound by {Clients} clients");
        CycleFigures baseline = await RunAsync(binary, scheduler: false, cancellationToken);
        progress.Report($"end to end: the server's scheduler binds {Pods} pods created by {Clients} clients");
        CycleFigures scheduled = await RunAsync(binary, scheduler: true, cancellationToken);
        return new EndToEndFigures(Nodes, Pods, Clients, baseline, scheduled);
    }

    private static async Task<CycleFigures> RunAsync(string binary, bool scheduler, CancellationToken cancellationToken)
    {
        DirectoryInfo data = Directory.CreateTempSubdirectory("skiff-bench-scheduler-");
        try
        {
            string[] arguments = scheduler
                ? ["--log-level", "Warning", "--disable-controller-manager"]
                : ["--log-level", "Warning", "--disable-controller-manager", "--disable-scheduler"];
            await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(
                new SkiffServerOptions { Skiff = SkiffCommand.Binary(binary), DataDirectory = data.FullName, ExtraArguments = arguments, StartTimeout = TimeSpan.FromMinutes(2) },
                cancellationToken);
            using var api = ApiClient.Open(server.KubeconfigPath, http2: false);
            using var client = new Kubernetes(api.Configuration);
            foreach (string ns in (string[])[Namespace, WarmNamespace])
            {
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
            }

            var options = new HollowNodeOptions { Count = Nodes, NamePrefix = "hollow", Cpu = "4", Memory = "32Gi", Pods = "110" };
            await using HollowNodes nodes = await HollowNodes.StartAsync(client, options, cancellationToken);
            string[] nodeNames = [.. nodes.NodeNames.Order(StringComparer.Ordinal)];

            // Warm-up (untimed): JIT, TLS, pools, and the scheduler's informers.
            await CreateAndWaitAsync(api, client, WarmNamespace, WarmPods, scheduler ? null : nodeNames, cancellationToken);
            return await CreateAndWaitAsync(api, client, Namespace, Pods, scheduler ? null : nodeNames, cancellationToken);
        }
        finally
        {
            TempDirectories.Delete(data.FullName);
        }
    }

    // Creates the pods from the clients (binding each one too when bindTo is given); clock from the first create to the last
    // pod seen bound on the watch; per-pod latency from just before its POST to that watch event.
    private static async Task<CycleFigures> CreateAndWaitAsync(ApiClient api, Kubernetes client, string ns, int count, string[]? bindTo, CancellationToken cancellationToken)
    {
        await using var watch = new BoundWatch(client, ns);
        await watch.StartAsync(count, cancellationToken);
        var sent = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var issued = new StrongBox<int>(-1);
        string path = $"/api/v1/namespaces/{ns}/pods";
        long started = Stopwatch.GetTimestamp();
        Throughput created = await LoadRunner.RunAsync(Clients, new PhaseLimit(PhaseTimeout, count), async (_, _, token) =>
        {
            int i = Interlocked.Increment(ref issued.Value);
            string name = string.Create(CultureInfo.InvariantCulture, $"pod-{i:D5}");
            sent[name] = Stopwatch.GetTimestamp();
            ApiClient.EnsureSuccess(await api.CreateAsync(path, PodJson(name), token), "POST " + path);
            if (bindTo is not null)
            {
                string binding = $"{path}/{name}/binding";
                ApiClient.EnsureSuccess(await api.CreateAsync(binding, BindingJson(name, bindTo[i % bindTo.Length]), token), "POST " + binding);
            }
        }, cancellationToken);
        if (created.Operations != count)
        {
            throw new InvalidOperationException($"only {created.Operations} of {count} pods were created");
        }

        await watch.WaitAsync(PhaseTimeout, cancellationToken);
        long last = watch.Bound.Values.Max();
        var latency = new Latency();
        foreach ((string name, long bound) in watch.Bound)
        {
            latency.Record(bound - sent[name]);
        }

        return new CycleFigures(count, Stopwatch.GetElapsedTime(started, last), latency) { ClientsDone = created.Elapsed };
    }

    // upstream's pod-default: one pause container, port 80, 100m cpu and 500Mi memory requested and limited.
    private static byte[] PodJson(string name) => Encoding.UTF8.GetBytes(
        $$$$$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{{{{name}}}}}}"},"spec":{"containers":[{"name":"pause","image":"registry.k8s.io/pause:3.10","ports":[{"containerPort":80}],"resources":{"requests":{"cpu":"100m","memory":"500Mi"},"limits":{"cpu":"100m","memory":"500Mi"}}}]}}""");

    private static byte[] BindingJson(string name, string node) => Encoding.UTF8.GetBytes(
        $$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"apiVersion":"v1","kind":"Node","name":"{{{node}}}"}}""");
}
