using System.Diagnostics;
using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Network;
using Skiff.Agent.Proxy;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Network;

/// <summary>
/// <c>Skiff.Bench network</c>: network programming latency of the service proxy. A real <c>skiff server</c> holds 1,000 selectorless
/// Services with an EndpointSlice of 10 endpoints each; Skiff's <see cref="ServiceProxy"/> runs in this process with its rules in a
/// throw-away network namespace. Each measured change (an endpoint added, one removed, a Service with its slice added) runs from just
/// before its API write until the end of the sync that applied it (<see cref="ServiceProxy.Synced"/> listing the written
/// resourceVersion). Beside it, in the same run, the whole rule set the proxy wrote is restored raw with <c>iptables-restore</c>
/// into a second namespace: the cost of writing everything once, which a change must stay near.
/// </summary>
internal static class NetworkBenchmark
{
    public const int Services = 1000;
    public const int EndpointsPerService = 10;
    public const int ChangesPerKind = 20;
    private const int RawRuns = 5;
    private const string Namespace = "bench-net";

    public static async Task RunAsync(TextWriter report, TextWriter progressOutput, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var progress = new LineProgress(progressOutput);
        string binary = SkiffBinary.Locate();
        string suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
        string proxyNs = "skb-pxn-" + suffix;
        string rawNs = "skb-pxr-" + suffix;
        await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(
            new SkiffServerOptions { Skiff = SkiffCommand.Binary(binary), StartTimeout = TimeSpan.FromMinutes(2) }, cancellationToken);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
        await NetCommand.Host.RunAsync("ip", ["netns", "add", proxyNs], cancellationToken: cancellationToken);
        await NetCommand.Host.RunAsync("ip", ["netns", "add", rawNs], cancellationToken: cancellationToken);
        using var stopProxy = new CancellationTokenSource();
        Task? proxyRun = null;
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
            progress.Report($"seeding {Services} Services x {EndpointsPerService} endpoints");
            long seedStart = Stopwatch.GetTimestamp();
            await Parallel.ForAsync(0, Services, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                await client.CoreV1.CreateNamespacedServiceAsync(Service(i), Namespace, cancellationToken: ct);
                await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(i, EndpointsPerService), Namespace, cancellationToken: ct);
            });
            TimeSpan seeding = Stopwatch.GetElapsedTime(seedStart);

            var tracker = new SyncTracker();
            var proxy = new ServiceProxy(client, new ServiceProxyOptions
            {
                NodeName = "bench-node",
                ClusterCidr = IPNetwork.Parse("10.244.0.0/16"),
                Command = new NetCommand("/run/netns/" + proxyNs),
            }, NullLoggerFactory.Instance, timeProvider);
            proxy.Synced += tracker.OnSynced;
            progress.Report("starting the proxy (first, full sync)");
            long proxyStart = Stopwatch.GetTimestamp();
            proxyRun = proxy.RunAsync(stopProxy.Token);
            ProxySyncedEventArgs first = await tracker.FirstAsync.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
            TimeSpan firstSync = Stopwatch.GetElapsedTime(proxyStart);

            progress.Report($"{ChangesPerKind * 3} changes, one at a time");
            var latencies = new Dictionary<string, Latency>(StringComparer.Ordinal) { ["endpoint added"] = new(), ["endpoint removed"] = new(), ["service added"] = new() };
            var all = new Latency();
            var chains = new List<int>();
            for (int n = 0; n < ChangesPerKind; n++)
            {
                foreach (string kind in latencies.Keys)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    V1EndpointSlice written = kind switch
                    {
                        "endpoint added" => await ReplaceAsync(client, n, EndpointsPerService + 1, cancellationToken),
                        "endpoint removed" => await ReplaceAsync(client, ChangesPerKind + n, EndpointsPerService - 1, cancellationToken),
                        _ => await AddServiceAsync(client, Services + n, cancellationToken),
                    };
                    (long finished, ProxySyncedEventArgs sync) = await tracker.WaitAsync("EndpointSlice", written).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
                    latencies[kind].Record(finished - t0);
                    all.Record(finished - t0);
                    chains.Add(sync.ChangedChains);
                }
            }

            progress.Report($"raw iptables-restore of the full rule set, {RawRuns} times");
            string nat = await new NetCommand("/run/netns/" + proxyNs).RunAsync("iptables-save", ["-t", "nat"], cancellationToken: cancellationToken);
            string filter = await new NetCommand("/run/netns/" + proxyNs).RunAsync("iptables-save", ["-t", "filter"], cancellationToken: cancellationToken);
            var raw = new Latency();
            for (int i = 0; i < RawRuns; i++)
            {
                // Into an emptied namespace each time (a plain restore replaces the tables), as a first full write would be.
                await new NetCommand("/run/netns/" + rawNs).RunAsync("iptables-restore", [], "*nat\nCOMMIT\n*filter\nCOMMIT\n", cancellationToken);
                await new NetCommand("/run/netns/" + rawNs).RunAsync("iptables", ["-t", "nat", "-X"], cancellationToken: cancellationToken);
                await new NetCommand("/run/netns/" + rawNs).RunAsync("iptables", ["-t", "filter", "-X"], cancellationToken: cancellationToken);
                long t0 = Stopwatch.GetTimestamp();
                await new NetCommand("/run/netns/" + rawNs).RunAsync("iptables-restore", ["--wait"], nat + filter, cancellationToken);
                raw.RecordSince(t0);
            }

            WriteReport(report, binary, seeding, firstSync, first, latencies, all, raw, chains);
        }
        finally
        {
            await stopProxy.CancelAsync();
            if (proxyRun is not null)
            {
                try
                {
                    await proxyRun;
                }
                catch (OperationCanceledException)
                {
                    // Stopped; it removed its rules.
                }
            }

            await NetCommand.Host.TryRunAsync("ip", ["netns", "delete", proxyNs], cancellationToken: CancellationToken.None);
            await NetCommand.Host.TryRunAsync("ip", ["netns", "delete", rawNs], cancellationToken: CancellationToken.None);
        }
    }

    private static V1Service Service(int i) => new()
    {
        Metadata = new V1ObjectMeta { Name = "svc-" + i.ToString(CultureInfo.InvariantCulture) },
        Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080, Protocol = "TCP" }] },
    };

    private static V1EndpointSlice Slice(int i, int endpoints) => new()
    {
        AddressType = "IPv4",
        Metadata = new V1ObjectMeta
        {
            Name = "svc-" + i.ToString(CultureInfo.InvariantCulture),
            Labels = new Dictionary<string, string> { [ServicePortBuilder.ServiceNameLabel] = "svc-" + i.ToString(CultureInfo.InvariantCulture), ["endpointslice.kubernetes.io/managed-by"] = "skiff-bench" },
        },
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        Endpoints = [.. Enumerable.Range(0, endpoints).Select(e => new V1Endpoint
        {
            // 10.244.(i / 20).(i % 20 * 12 + e): unique per service and endpoint for up to 12 endpoints.
            Addresses = [string.Create(CultureInfo.InvariantCulture, $"10.244.{i / 20}.{(i % 20 * 12) + e + 1}")],
            Conditions = new V1EndpointConditions { Ready = true },
            NodeName = "node-" + (e % 3).ToString(CultureInfo.InvariantCulture),
        })],
    };

    private static async Task<V1EndpointSlice> ReplaceAsync(Kubernetes client, int i, int endpoints, CancellationToken cancellationToken)
    {
        V1EndpointSlice current = await client.DiscoveryV1.ReadNamespacedEndpointSliceAsync("svc-" + i.ToString(CultureInfo.InvariantCulture), Namespace, cancellationToken: cancellationToken);
        V1EndpointSlice next = Slice(i, endpoints);
        next.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
        return await client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(next, next.Metadata.Name, Namespace, cancellationToken: cancellationToken);
    }

    private static async Task<V1EndpointSlice> AddServiceAsync(Kubernetes client, int i, CancellationToken cancellationToken)
    {
        await client.CoreV1.CreateNamespacedServiceAsync(Service(i), Namespace, cancellationToken: cancellationToken);
        return await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(Slice(i, EndpointsPerService), Namespace, cancellationToken: cancellationToken);
    }

    private static void WriteReport(
        TextWriter report, string binary, TimeSpan seeding, TimeSpan firstSync, ProxySyncedEventArgs first, Dictionary<string, Latency> latencies, Latency all,
        Latency raw, List<int> chains)
    {
        static string Ms(double value) => value.ToString("F1", CultureInfo.InvariantCulture) + " ms";
        report.WriteLine($"Skiff.Bench network: {Services} Services x {EndpointsPerService} endpoints, {first.RuleCount} rules ({binary})");
        report.WriteLine($"seeding through the API: {seeding.TotalSeconds:F1} s; proxy start to first full sync: {firstSync.TotalSeconds:F2} s");
        report.WriteLine();
        var table = new TextTable("change (API write -> end of the sync that applied it)", "n", "p50", "p99");
        foreach ((string kind, Latency latency) in latencies)
        {
            table.Add(kind, latency.Count.ToString(CultureInfo.InvariantCulture), Ms(latency.Milliseconds(50)), Ms(latency.Milliseconds(99)));
        }

        table.Add("all changes", all.Count.ToString(CultureInfo.InvariantCulture), Ms(all.Milliseconds(50)), Ms(all.Milliseconds(99)));
        table.Add("raw iptables-restore, full rule set (baseline)", raw.Count.ToString(CultureInfo.InvariantCulture), Ms(raw.Milliseconds(50)), Ms(raw.Milliseconds(99)));
        table.Write(report);
        report.WriteLine($"chains rewritten per change sync: median {chains.Order().ElementAt(chains.Count / 2)}, max {chains.Max()}");
        double ratio = all.Milliseconds(99) / raw.Milliseconds(50);
        report.WriteLine();
        report.WriteLine($"[{(all.Milliseconds(99) <= 1000 ? "PASS" : "MISS")}] change p99 {Ms(all.Milliseconds(99))} <= 1 s");
        report.WriteLine($"[{(ratio <= 1.5 ? "PASS" : "MISS")}] change p99 / raw full restore p50 = {ratio:F2}x <= 1.5x");
    }
}
