using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.NetworkPolicy;
using Skiff.TestKit.Network;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.NetworkPolicy;

/// <summary>
/// A real node in miniature: a "node" netns <c>skt-np-&lt;hex&gt;</c> with bridge br0 (10.77.0.1/24, its
/// bridge-nf-call-iptables sysctl switched OFF so the agent must switch it on), four "pod" netns on veths, each running
/// <c>busybox httpd</c> on 8080 and 8081; a real <c>skiff server</c> holding two Namespaces and the four Pods (bound to the
/// fake node, status.podIP = the netns addresses); and the <see cref="NetworkPolicyAgent"/> in-process writing its rules
/// into the node netns. Dispose stops the agent, stops the httpd processes by PID, deletes every netns and stops the server.
/// </summary>
public sealed class PolicyNetworkFixture : IAsyncLifetime, IDisposable
{
    public const string Client = "client";
    public const string Other = "other";
    public const string Remote = "remote";
    public const string Server = "server";

    private readonly string _id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<NetworkNamespace> _netns = [];
    private readonly List<ChildProcess> _servers = [];
    private readonly CancellationTokenSource _stop = new();
    private SkiffServerProcess? _server;
    private Task? _agent;
    private string? _www;
    private NetworkNamespace? _node;

    public Kubernetes Api { get; private set; } = null!;

    public string NodeNetns => "skt-np-" + _id;

    /// <summary>The node netns, where the agent writes its rules.</summary>
    public NetworkNamespace Node => _node ?? throw new InvalidOperationException("The network has not been created.");

    public string NodeName => "np-node-" + _id;

    /// <summary>Namespace of client, other and server (no labels).</summary>
    public string Ns1 => "np-" + _id + "-one";

    /// <summary>Namespace of remote, labelled team=blue.</summary>
    public string Ns2 => "np-" + _id + "-two";

    /// <summary>The pods: name → (namespace, netns, IP). Labels app=&lt;name&gt;; every container declares ports http=8080, alt=8081.</summary>
    public IReadOnlyDictionary<string, (string Ns, string Netns, string Ip)> Pods { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Pods = new Dictionary<string, (string, string, string)>
        {
            [Client] = (Ns1, NodeNetns + "-a", "10.77.0.11"),
            [Other] = (Ns1, NodeNetns + "-b", "10.77.0.12"),
            [Remote] = (Ns2, NodeNetns + "-c", "10.77.0.13"),
            [Server] = (Ns1, NodeNetns + "-d", "10.77.0.14"),
        };
        await CreateNetworkAsync();
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions { ExtraArguments = ["--disable-scheduler"] }, _stop.Token);
        Api = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        await CreateObjectsAsync();

        var agent = new NetworkPolicyAgent(
            Api,
            new NetworkPolicyOptions { NodeName = NodeName, Command = Node.Command, MinSyncPeriod = TimeSpan.FromMilliseconds(50) },
            NullLoggerFactory.Instance,
            TimeProvider.System);
        _agent = agent.RunAsync(_stop.Token);
    }

    /// <summary>Whether an HTTP GET from pod <paramref name="from"/> (or the node, when null) to pod <paramref name="to"/>:<paramref name="port"/> succeeds within 2 s.</summary>
    public async Task<bool> CanReachAsync(string? from, string to, int port)
    {
        string netns = from is null ? NodeNetns : Pods[from].Netns;
        // busybox 1.35's wget crashes (SIGSEGV) with -T, so coreutils' timeout bounds it instead.
        (int code, _, _) = await Namespace(netns).Command.TryRunAsync("timeout", ["-s", "KILL", "2", "busybox", "wget", "-q", "-O-", $"http://{Pods[to].Ip}:{port}/"]);
        return code == 0;
    }

    /// <summary>Waits (up to 20 s, for the agent's sync) until the reachability is <paramref name="allowed"/>; fails the test otherwise.</summary>
    public async Task ExpectAsync(string? from, string to, int port, bool allowed)
    {
        var clock = Stopwatch.StartNew();
        while (await CanReachAsync(from, to, port) != allowed)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{from ?? "node"} -> {to}:{port} should be {(allowed ? "allowed" : "denied")}");
            await Task.Delay(200);
        }
    }

    /// <summary>Creates <paramref name="policy"/>, runs <paramref name="body"/>, deletes it and checks all traffic flows again.</summary>
    public async Task WithPolicyAsync(string ns, V1NetworkPolicy policy, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(body);
        policy.Metadata ??= new V1ObjectMeta();
        policy.Metadata.Name ??= "np-" + Guid.NewGuid().ToString("N")[..8];
        await Api.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, ns);
        try
        {
            await body();
        }
        finally
        {
            await Api.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(policy.Metadata.Name, ns);
        }

        foreach (string from in Pods.Keys)
        {
            foreach (string to in Pods.Keys.Where(t => t != from))
            {
                await ExpectAsync(from, to, 8080, allowed: true);
            }
        }
    }

    /// <summary>The node netns' filter table as iptables-save prints it.</summary>
    public Task<string> SaveAsync() => Node.Command.RunAsync("iptables-save", ["-t", "filter"]);

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_agent is not null)
        {
            try
            {
                await _agent;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        foreach (ChildProcess server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (NetworkNamespace netns in Enumerable.Reverse(_netns))
        {
            await netns.DisposeAsync();
        }

        if (_www is not null)
        {
            Directory.Delete(_www, recursive: true);
        }

        Api?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose() => _stop.Dispose();

    private async Task CreateNetworkAsync()
    {
        _www = Directory.CreateTempSubdirectory("skt-np-www-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_www, "index.html"), "hello\n");
        _node = await AddNetnsAsync(NodeNetns);
        await Node.IpAsync(CancellationToken.None, "link", "add", "br0", "type", "bridge");
        await Node.IpAsync(CancellationToken.None, "addr", "add", "10.77.0.1/24", "dev", "br0");
        await Node.IpAsync(CancellationToken.None, "link", "set", "br0", "up");
        await Node.Command.RunAsync("sysctl", ["-w", "net.bridge.bridge-nf-call-iptables=0"]);
        int index = 0;
        foreach ((string ns, string name, string ip) in Pods.Values)
        {
            string veth = "veth" + index++;
            NetworkNamespace netns = await AddNetnsAsync(name);
            await Node.AddVethAsync(veth, netns, ip + "/24", "10.77.0.1", CancellationToken.None);
            await Node.IpAsync(CancellationToken.None, "link", "set", veth, "master", "br0");
            foreach (int port in new[] { 8080, 8081 })
            {
                _servers.Add(netns.StartHttpd(_www, port));
            }
        }
    }

    private async Task<NetworkNamespace> AddNetnsAsync(string name)
    {
        NetworkNamespace netns = await NetworkNamespace.CreateAsync(name, CancellationToken.None);
        _netns.Add(netns);
        return netns;
    }

    private NetworkNamespace Namespace(string name) => _netns.Single(n => n.Name == name);

    private async Task CreateObjectsAsync()
    {
        await Api.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = NodeName } });
        await Api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns1 } });
        await Api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Ns2, Labels = new Dictionary<string, string> { ["team"] = "blue" } } });
        foreach ((string name, (string ns, _, string ip)) in Pods)
        {
            var pod = new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    NodeName = NodeName,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "web",
                            Image = "busybox",
                            Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }, new V1ContainerPort { Name = "alt", ContainerPort = 8081 }],
                        },
                    ],
                },
            };
            V1Pod created = await Api.CoreV1.CreateNamespacedPodAsync(pod, ns);
            created.Status = new V1PodStatus { Phase = "Running", PodIP = ip, PodIPs = [new V1PodIP { Ip = ip }] };
            await Api.CoreV1.ReplaceNamespacedPodStatusAsync(created, name, ns);
        }
    }
}
