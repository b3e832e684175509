using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Dns;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Dns;

/// <summary>
/// A real <c>skiff server</c> (no agent), a <see cref="ClusterDnsServer"/> on a loopback address of its own and a free port
/// watching it, and two fake upstream nameservers (on two other loopback addresses, one port) named by a resolv.conf the tests
/// may rewrite. Disposed in reverse: the DNS server stops, the upstreams, the API server, the temp directory.
/// </summary>
public sealed class ClusterDnsFixture : IAsyncLifetime, IDisposable
{
    public static readonly IPAddress UpstreamAAnswer = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress UpstreamBAnswer = IPAddress.Parse("192.0.2.2");

    private readonly CancellationTokenSource _stop = new();
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("skiff-dns-test-");
    private SkiffServerProcess? _server;
    private Task? _running;

    public Kubernetes Client { get; private set; } = null!;

    public ClusterDnsServer Dns { get; private set; } = null!;

    public IPEndPoint EndPoint { get; private set; } = null!;

    internal FakeUpstream UpstreamA { get; private set; } = null!;

    internal FakeUpstream UpstreamB { get; private set; } = null!;

    public string ResolvConf => Path.Combine(_directory.FullName, "resolv.conf");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions(), timeout.Token);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        UpstreamA = new FakeUpstream(UpstreamAAnswer, 0);
        UpstreamB = new FakeUpstream(UpstreamBAnswer, UpstreamA.EndPoint.Port);
        UseUpstream(UpstreamA.EndPoint.Address);
        Dns = new ClusterDnsServer(Client, new ClusterDnsOptions
        {
            ListenAddress = DnsTestClient.RandomLoopback(),
            Port = 0,
            ClusterDomain = "cluster.local",
            UpstreamResolvConf = ResolvConf,
            UpstreamPort = UpstreamA.EndPoint.Port,
            UpstreamTimeout = TimeSpan.FromMilliseconds(500),
        }, NullLoggerFactory.Instance, TimeProvider.System);
        _running = Dns.RunAsync(_stop.Token);
        await Task.WhenAny(Dns.Ready, _running).WaitAsync(timeout.Token);
        Assert.True(Dns.Ready.IsCompletedSuccessfully, "the DNS server did not become ready: " + _running.Exception);
        EndPoint = Dns.LocalEndPoint!;
    }

    /// <summary>Points resolv.conf at one nameserver (the upstreams' port is the server's UpstreamPort).</summary>
    public void UseUpstream(IPAddress nameserver) =>
        File.WriteAllText(ResolvConf, "# written by the test\nsearch example.test\nnameserver " + nameserver + "\noptions ndots:5\n");

    public Task<DnsMessage> UdpAsync(string name, RecordType type, CancellationToken cancellationToken, bool edns = false) =>
        DnsTestClient.UdpAsync(EndPoint, name, type, cancellationToken, edns);

    /// <summary>Queries over UDP until the answer satisfies <paramref name="done"/> (records follow the API through a watch).</summary>
    public async Task<DnsMessage> UntilAsync(string name, RecordType type, Func<DnsMessage, bool> done, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            DnsMessage response = await UdpAsync(name, type, timeout.Token);
            if (done(response))
            {
                return response;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (UpstreamA is not null)
        {
            await UpstreamA.DisposeAsync();
        }

        if (UpstreamB is not null)
        {
            await UpstreamB.DisposeAsync();
        }

        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _directory.Delete(recursive: true);
    }

    public void Dispose() => _stop.Dispose();
}
