using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Skiff.TestKit.Etcd;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Api;

/// <summary>
/// <c>Skiff.Bench api</c>: the real <c>skiff server</c> binary on loopback HTTPS, first on its embedded SQLite store and then
/// on a real etcd, driven by the same workload; then the report with targets and ratios.
/// </summary>
internal sealed class ApiBenchmark
{
    private const string WarmNamespace = "bench-warm";
    private const string PodNamespace = "bench-pods";
    private const string CreateNamespace = "bench-create";
    private const string GetNamespace = "bench-get";
    private const string SecretNamespace = "bench-vc";
    private const string WatchNamespace = "bench-watch";

    private readonly ApiBenchSettings _settings;
    private readonly string _binary;
    private readonly TimeProvider _timeProvider;
    private readonly IProgress<string> _progress;

    private ApiBenchmark(ApiBenchSettings settings, string binary, TimeProvider timeProvider, IProgress<string> progress)
    {
        _settings = settings;
        _binary = binary;
        _timeProvider = timeProvider;
        _progress = progress;
    }

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(progress);
        var settings = new ApiBenchSettings();
        string binary = SkiffBinary.Locate();
        var benchmark = new ApiBenchmark(settings, binary, timeProvider, new LineProgress(progress));
        long started = Stopwatch.GetTimestamp();

        ApiBackendFigures sqlite = await benchmark.MeasureBackendAsync("sqlite", null, cancellationToken);
        (ApiBackendFigures? etcd, string? etcdProblem) = await benchmark.MeasureEtcdAsync(cancellationToken);
        new ApiReport(settings, binary, sqlite, etcd, etcdProblem, Stopwatch.GetElapsedTime(started)).Write(report);
    }

    private async Task<(ApiBackendFigures? Figures, string? Problem)> MeasureEtcdAsync(CancellationToken cancellationToken)
    {
        _progress.Report("starting etcd");
        (EtcdProcess? etcd, string? problem) = await EtcdProcess.TryStartAsync(cancellationToken);
        if (etcd is null)
        {
            return (null, problem);
        }

        await using (etcd)
        {
            return (await MeasureBackendAsync("etcd", etcd.DatastoreEndpoint, cancellationToken), null);
        }
    }

    private async Task<ApiBackendFigures> MeasureBackendAsync(string name, string? datastoreEndpoint, CancellationToken cancellationToken)
    {
        _progress.Report($"{name}: starting skiff server");
        long starting = Stopwatch.GetTimestamp();
        await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(
            new SkiffServerOptions
            {
                Skiff = SkiffCommand.Binary(_binary),
                // Request logging at Information would put the console, not the server, on the measured path.
                ExtraArguments = datastoreEndpoint is null
                    ? ["--log-level", "Warning"]
                    : ["--log-level", "Warning", "--datastore-endpoint", datastoreEndpoint],
                StartTimeout = _settings.StartTimeout,
                TimeProvider = _timeProvider,
            },
            cancellationToken);
        TimeSpan startTime = Stopwatch.GetElapsedTime(starting);
        _progress.Report($"{name}: pid {server.Pid}, https://127.0.0.1:{server.Port}, ready in {startTime.TotalSeconds:0.0} s");
        using var client = ApiClient.Open(server.KubeconfigPath, http2: false);
        using var watchClient = ApiClient.Open(server.KubeconfigPath, http2: true);
        int clients = _settings.ConcurrentClients;

        // Namespaces go through the official client's typed API: proof that it works against this server.
        using (var kubernetes = new Kubernetes(client.Configuration))
        {
            foreach (string ns in (string[])[WarmNamespace, PodNamespace, CreateNamespace, GetNamespace, SecretNamespace, WatchNamespace])
            {
                await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
            }
        }

        // JIT, TLS sessions and connection pools are set up before anything is measured, and before the "empty" RSS reading.
        _progress.Report($"{name}: warm-up");
        await SeedAsync(client, 200, 8, i => ($"/api/v1/namespaces/{WarmNamespace}/configmaps", ApiObjects.ConfigMap($"warm-{i}")), cancellationToken);
        await SeedAsync(client, 100, 8, i => ($"/api/v1/namespaces/{WarmNamespace}/pods", ApiObjects.Pod($"warm-{i}", i % 10)), cancellationToken);
        await SeedAsync(client, 100, 8, i => ($"/api/v1/namespaces/{WarmNamespace}/secrets", ApiObjects.Secret($"warm-{i}", "warm")), cancellationToken);
        for (int i = 0; i < 20; i++)
        {
            ApiClient.EnsureSuccess(await client.GetAsync($"/api/v1/namespaces/{WarmNamespace}/configmaps/warm-{i}", cancellationToken), "warm-up GET");
            ApiClient.EnsureSuccess(await client.GetAsync("/api/v1/pods", cancellationToken), "warm-up LIST");
        }

        await Task.Delay(_settings.RssSettle, _timeProvider, cancellationToken);
        long rssEmpty = ResidentMemory.Of(server.Pid);

        _progress.Report($"{name}: creating {_settings.Pods} pods with {clients} clients");
        Throughput podSeed = await SeedAsync(
            client, _settings.Pods, clients, i => ($"/api/v1/namespaces/{PodNamespace}/pods", ApiObjects.Pod($"p-{i:D5}", i % 100)), cancellationToken);
        await Task.Delay(_settings.RssSettle, _timeProvider, cancellationToken);
        long rssPods = ResidentMemory.Of(server.Pid);
        ApiResponse metrics = ApiClient.EnsureSuccess(await client.GetWithBodyAsync("/metrics", cancellationToken), "GET /metrics");
        (long cacheBytes, long cacheJsonBytes) = WatchCacheMetrics.ForPods(metrics.Body ?? []);
        ApiResponse everything = ApiClient.EnsureSuccess(await client.GetWithBodyAsync("/api/v1/pods", cancellationToken), "LIST pods");
        (int listedPods, long podJsonBytes) = MeasureItems(everything.Body ?? [], PodNamespace);

        _progress.Report($"{name}: cluster-scope LIST of pods");
        Throughput list = await LoadRunner.RunAsync(1, _settings.ListPhase, async (_, _, token) =>
            ApiClient.EnsureSuccess(await client.GetAsync("/api/v1/pods", token), "LIST pods"), cancellationToken);

        _progress.Report($"{name}: ConfigMap creates, {clients} clients");
        var createErrors = new StrongBox<int>();
        Throughput creates = await LoadRunner.RunAsync(clients, _settings.CreatePhase, async (worker, sequence, token) =>
        {
            ApiResponse response = await client.CreateAsync($"/api/v1/namespaces/{CreateNamespace}/configmaps", ApiObjects.ConfigMap($"cm-{worker}-{sequence}"), token);
            if (!response.IsSuccess)
            {
                Interlocked.Increment(ref createErrors.Value);
            }
        }, cancellationToken);

        _progress.Report($"{name}: GET one ConfigMap");
        string getPath = $"/api/v1/namespaces/{GetNamespace}/configmaps/target";
        ApiClient.EnsureSuccess(await client.CreateAsync($"/api/v1/namespaces/{GetNamespace}/configmaps", ApiObjects.ConfigMap("target"), cancellationToken), "create the GET target");
        long getBytes = ApiClient.EnsureSuccess(await client.GetAsync(getPath, cancellationToken), "GET").Bytes;
        Throughput getSerial = await LoadRunner.RunAsync(1, _settings.GetPhase, async (_, _, token) =>
            ApiClient.EnsureSuccess(await client.GetAsync(getPath, token), "GET"), cancellationToken);
        Throughput getConcurrent = await LoadRunner.RunAsync(clients, _settings.GetPhase, async (_, _, token) =>
            ApiClient.EnsureSuccess(await client.GetAsync(getPath, token), "GET"), cancellationToken);

        _progress.Report($"{name}: vcluster profile, {_settings.Secrets} secrets then {_settings.MixedRatePerSecond} requests/s for {_settings.MixedDuration.TotalSeconds:0} s");
        Throughput secretSeed = await SeedAsync(
            client, _settings.Secrets, clients, i => ($"/api/v1/namespaces/{SecretNamespace}/secrets", ApiObjects.Secret(MixedLoad.SeededSecret(i), MixedLoad.Label(i, _settings))), cancellationToken);
        MixedFigures mixed = await MixedLoad.RunAsync(client, SecretNamespace, _settings, _timeProvider, cancellationToken);

        _progress.Report($"{name}: {_settings.Watchers} watchers on one ConfigMap");
        WatchFanoutFigures watch = await WatchFanout.RunAsync(watchClient, client, WatchNamespace, _settings, _timeProvider, cancellationToken);
        long rssEnd = ResidentMemory.Of(server.Pid);
        if (server.Output() is { Length: > 0 } log)
        {
            _progress.Report($"{name}: the server logged (Warning and above):\n{log}");
        }

        return new ApiBackendFigures
        {
            Name = name,
            StartTime = startTime,
            Creates = creates,
            CreateErrors = createErrors.Value,
            GetSerial = getSerial,
            GetConcurrent = getConcurrent,
            GetBytes = getBytes,
            PodSeed = podSeed,
            List = list,
            ListBytes = everything.Bytes,
            ListedPods = listedPods,
            PodJsonBytes = podJsonBytes,
            RssEmpty = rssEmpty,
            RssPods = rssPods,
            CacheBytes = cacheBytes,
            CacheJsonBytes = cacheJsonBytes,
            RssEnd = rssEnd,
            SecretSeed = secretSeed,
            Mixed = mixed,
            Watch = watch,
        };
    }

    /// <summary>Creates <paramref name="count"/> objects from <paramref name="workers"/> clients; any failure stops the run, since later figures would be wrong.</summary>
    private async Task<Throughput> SeedAsync(ApiClient client, int count, int workers, Func<int, (string Path, byte[] Body)> next, CancellationToken cancellationToken)
    {
        var issued = new StrongBox<int>(-1);
        Throughput seeded = await LoadRunner.RunAsync(workers, new PhaseLimit(_settings.SeedTimeout, count), async (_, _, token) =>
        {
            (string path, byte[] body) = next(Interlocked.Increment(ref issued.Value));
            ApiClient.EnsureSuccess(await client.CreateAsync(path, body, token), "POST " + path);
        }, cancellationToken);
        return seeded.Operations == count
            ? seeded
            : throw new InvalidOperationException($"only {seeded.Operations} of {count} objects were created within {_settings.SeedTimeout}");
    }

    /// <summary>How many items of a list body are in <paramref name="ns"/>, and their JSON size as the server sent it.</summary>
    private static (int Count, long Bytes) MeasureItems(byte[] listBody, string ns)
    {
        using JsonDocument document = JsonDocument.Parse(listBody);
        int count = 0;
        long bytes = 0;
        foreach (JsonElement item in document.RootElement.GetProperty("items").EnumerateArray())
        {
            if (item.GetProperty("metadata").TryGetProperty("namespace", out JsonElement itemNamespace) && itemNamespace.GetString() == ns)
            {
                count++;
                bytes += Encoding.UTF8.GetByteCount(item.GetRawText());
            }
        }

        return (count, bytes);
    }

}
