using System.Diagnostics;
using System.Globalization;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Dns;
using Skiff.Bench.Api;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Bench.Dns;

/// <summary>
/// <c>Skiff.Bench dns</c>: cluster DNS queries per second per core of server CPU, and latency, for cluster names. A real
/// <c>skiff server</c> holds 200 ClusterIP Services and 20 headless ones with 5 endpoints each; Skiff's
/// <see cref="ClusterDnsServer"/> runs in this process on a loopback address and a load generator (client threads in this
/// process, whose own CPU time is subtracted) sends a mix of A, SRV, headless A and search-list NXDOMAIN queries. The same
/// load then goes to ARSoft.Tools.Net's own DnsServer answering one fixed record, the library's server loop alone.
/// </summary>
internal static class DnsBenchmark
{
    public const double TargetPerCore = 20_000;
    private const string Namespace = "bench-dns";
    private const int ClusterIpServices = 200;
    private const int HeadlessServices = 20;
    private const int Threads = 2;
    private const int Window = 16;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(TextWriter report, TextWriter progress, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var log = new LineProgress(progress);
        string binary = SkiffBinary.Locate();
        DirectoryInfo directory = Directory.CreateTempSubdirectory("skiff-bench-dns-");
        try
        {
            log.Report("starting skiff server " + binary);
            await using SkiffServerProcess server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { Skiff = SkiffCommand.Binary(binary) }, cancellationToken);
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
            log.Report($"creating {ClusterIpServices} ClusterIP and {HeadlessServices} headless Services");
            await CreateObjectsAsync(client, cancellationToken);

            string resolvConf = Path.Combine(directory.FullName, "resolv.conf");
            await File.WriteAllTextAsync(resolvConf, "# no upstream: the benchmark asks only cluster names\n", cancellationToken);
            var dns = new ClusterDnsServer(client, new ClusterDnsOptions
            {
                ListenAddress = IPAddress.Parse("127.53.0.1"),
                Port = 0,
                ClusterDomain = "cluster.local",
                UpstreamResolvConf = resolvConf,
            }, NullLoggerFactory.Instance, timeProvider);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task serving = dns.RunAsync(stop.Token);
            await Task.WhenAny(dns.Ready, serving);
            await dns.Ready;
            IPEndPoint endPoint = dns.LocalEndPoint!;
            byte[][] queries = QueryMix();
            await WaitForRecordsAsync(endPoint, cancellationToken);

            log.Report("Skiff cluster DNS: warm-up, then " + Duration.TotalSeconds + " s");
            DnsLoad.Run(endPoint, queries, Threads, Window, Warmup);
            Figures skiff = Measure(endPoint, queries);
            await stop.CancelAsync();
            await serving;

            log.Report("ARSoft.Tools.Net DnsServer (fixed answer): warm-up, then " + Duration.TotalSeconds + " s");
            Figures library = MeasureLibraryServer(queries);
            Write(report, skiff, library, queries.Length);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private sealed record Figures(DnsLoadResult Load, TimeSpan ServerCpu)
    {
        public double PerSecond => Load.Answers / Load.Wall.TotalSeconds;

        public double PerCore => Load.Answers / Math.Max(ServerCpu.TotalSeconds, 0.001);
    }

    /// <summary>One measured run; the server's CPU is the process's minus the client threads' own.</summary>
    private static Figures Measure(IPEndPoint endPoint, byte[][] queries)
    {
        using var process = Process.GetCurrentProcess();
        TimeSpan before = process.TotalProcessorTime;
        DnsLoadResult load = DnsLoad.Run(endPoint, queries, Threads, Window, Duration);
        process.Refresh();
        return new Figures(load, process.TotalProcessorTime - before - load.ClientCpu);
    }

    private static Figures MeasureLibraryServer(byte[][] queries)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("127.53.0.2"), FreePort());
        using var transport = new UdpServerTransport(endPoint, 1000);
        using var server = new DnsServer([transport]);
        var answer = IPAddress.Parse("10.43.0.1");
        server.QueryReceived += (_, e) =>
        {
            if (e.Query is DnsMessage query)
            {
                DnsMessage response = query.CreateResponseInstance();
                response.IsAuthoritiveAnswer = true;
                response.AnswerRecords.Add(new ARecord(query.Questions[0].Name, 5, answer));
                e.Response = response;
            }

            return Task.CompletedTask;
        };
        server.Start();
        try
        {
            DnsLoad.Run(endPoint, queries, Threads, Window, Warmup);
            return Measure(endPoint, queries);
        }
        finally
        {
            server.Stop();
        }
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Parse("127.53.0.2"), 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Per ClusterIP Service: its A, its named port's SRV, and the first search-list miss a pod's resolver sends (ndots:5); per headless Service its A.</summary>
    private static byte[][] QueryMix()
    {
        var queries = new List<byte[]>();
        for (int i = 0; i < ClusterIpServices; i++)
        {
            string name = $"svc-{i}.{Namespace}.svc.cluster.local";
            queries.Add(Encode(name, RecordType.A));
            queries.Add(Encode("_http._tcp." + name, RecordType.Srv));
            queries.Add(Encode($"{name}.{Namespace}.svc.cluster.local", RecordType.A));
        }

        for (int i = 0; i < HeadlessServices; i++)
        {
            queries.Add(Encode($"headless-{i}.{Namespace}.svc.cluster.local", RecordType.A));
        }

        return [.. queries];
    }

    private static byte[] Encode(string name, RecordType type)
    {
        var query = new DnsMessage { IsRecursionDesired = true };
        query.Questions.Add(new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        return DnsMessageEncoding.Encode(query).ToArray();
    }

    private static async Task CreateObjectsAsync(Kubernetes client, CancellationToken cancellationToken)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
        var ports = new List<V1ServicePort> { new() { Name = "http", Port = 80, Protocol = "TCP" } };
        for (int i = 0; i < ClusterIpServices; i++)
        {
            await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = $"svc-{i}" }, Spec = new V1ServiceSpec { Ports = ports } }, Namespace, cancellationToken: cancellationToken);
        }

        for (int i = 0; i < HeadlessServices; i++)
        {
            string name = $"headless-{i}";
            await client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1ServiceSpec { ClusterIP = "None", Ports = ports } }, Namespace, cancellationToken: cancellationToken);
            await client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name, ["endpointslice.kubernetes.io/managed-by"] = "skiff-bench" } },
                AddressType = "IPv4",
                Endpoints = [.. Enumerable.Range(1, 5).Select(e => new V1Endpoint { Addresses = [$"10.42.{i}.{e}"], Hostname = $"{name}-{e}", Conditions = new V1EndpointConditions { Ready = true } })],
                Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
            }, Namespace, cancellationToken: cancellationToken);
        }
    }

    /// <summary>Until the last headless Service answers with its 5 endpoints (the informers have everything).</summary>
    private static async Task WaitForRecordsAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        using var socket = new System.Net.Sockets.Socket(endPoint.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        await socket.ConnectAsync(endPoint, cancellationToken);
        byte[] query = Encode($"headless-{HeadlessServices - 1}.{Namespace}.svc.cluster.local", RecordType.A);
        byte[] buffer = new byte[4096];
        while (true)
        {
            await socket.SendAsync(query, System.Net.Sockets.SocketFlags.None, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                int length = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token);
                if (DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length)).AnswerRecords.Count == 5)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static void Write(TextWriter report, Figures skiff, Figures library, int distinctQueries)
    {
        report.WriteLine($"Cluster DNS: {distinctQueries} distinct queries (A, SRV, headless A, search-list NXDOMAIN), {Threads} client threads x {Window} in flight, {Duration.TotalSeconds:F0} s, {Environment.ProcessorCount} cores");
        var table = new TextTable("server", "answers", "lost", "q/s (wall)", "server CPU s", "q/s per core", "p50 ms", "p99 ms", "target");
        table.Add(Row("Skiff ClusterDnsServer", skiff, skiff.PerCore >= TargetPerCore ? "PASS" : "MISS"));
        table.Add(Row("ARSoft DnsServer, fixed answer", library, "-"));
        table.Write(report);
        report.WriteLine($"Target: >= {TargetPerCore:N0} queries/s per core of server CPU for cluster names (published: CoreDNS ~17k/s per core).");
    }

    private static string[] Row(string name, Figures f, string verdict) =>
    [
        name,
        f.Load.Answers.ToString("N0", CultureInfo.InvariantCulture),
        f.Load.Lost.ToString("N0", CultureInfo.InvariantCulture),
        f.PerSecond.ToString("N0", CultureInfo.InvariantCulture),
        f.ServerCpu.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture),
        f.PerCore.ToString("N0", CultureInfo.InvariantCulture),
        f.Load.Latency.Milliseconds(50).ToString("F3", CultureInfo.InvariantCulture),
        f.Load.Latency.Milliseconds(99).ToString("F3", CultureInfo.InvariantCulture),
        verdict,
    ];
}
