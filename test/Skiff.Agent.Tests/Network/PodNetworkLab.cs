using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Network;
using Skiff.Agent.Runtime;
using Skiff.TestKit.Network;
using Skiff.TestKit.Processes;

namespace Skiff.Agent.Tests.Network;

/// <summary>
/// A small real network in namespaces: a "lan" namespace routing between two bridges (192.168.50.0/24 and 192.168.51.0/24),
/// "node" namespaces attached to one of them by a veth with their own address, a Node object per node (spec.podCIDR,
/// InternalIP) in the test's API server, a <see cref="PodNetwork"/> per node running in-process in that node's namespace, and
/// "pod" namespaces attached to a node's bridge by the real CNI bridge plugin with the agent's own conflist. Dispose stops the
/// pod networks, stops the httpd processes it started by PID, deletes the Node objects, every namespace and the temp dir.
/// </summary>
internal sealed class PodNetworkLab : IAsyncDisposable
{
    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly List<ChildProcess> _processes = [];
    private readonly List<LabNode> _nodes = [];
    private readonly IKubernetes _client;
    private readonly ILoggerFactory _loggers;
    private NetworkNamespace? _lan;

    private PodNetworkLab(IKubernetes client, ILoggerFactory loggers)
    {
        _client = client;
        _loggers = loggers;
        ClusterCidr = new IPNetwork(IPAddress.Parse($"10.{100 + Random.Shared.Next(100)}.0.0"), 16);
        TempDir = Directory.CreateTempSubdirectory("skiff-podnet-").FullName;
    }

    public IPNetwork ClusterCidr { get; }

    public string TempDir { get; }

    /// <summary>The namespace every node is attached to; it has 192.168.50.1 and 192.168.51.1 and forwards between them, but no route to any pod CIDR.</summary>
    public NetworkNamespace Lan => _lan ?? throw new InvalidOperationException("The lab has not started.");

    public static async Task<PodNetworkLab> StartAsync(IKubernetes client, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var lab = new PodNetworkLab(client, loggers);
        try
        {
            lab._lan = await lab.AddNamespaceAsync($"skt-pnlan-{lab._suffix}", cancellationToken);
            await Sh(lab.Lan.Command, "sysctl -q -w net.ipv4.ip_forward=1; " +
                "ip link add lan0 type bridge; ip addr add 192.168.50.1/24 dev lan0; ip link set lan0 up; " +
                "ip link add lan1 type bridge; ip addr add 192.168.51.1/24 dev lan1; ip link set lan1 up", cancellationToken);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A node namespace on lan <paramref name="lan"/> (0 or 1) at 192.168.(50+lan).(10+index), default route via the lan, pod CIDR
    /// 10.x.index.0/24, and its Node object; its pod network is not started yet.
    /// </summary>
    public async Task<LabNode> AddNodeAsync(string name, int index, int lan, PodNetworkBackend backend, CancellationToken cancellationToken)
    {
        NetworkNamespace netns = await AddNamespaceAsync($"skt-pn{name}-{_suffix}", cancellationToken);
        var ip = IPAddress.Parse($"192.168.{50 + lan}.{10 + index}");
        string port = "p" + name;
        await Lan.AddVethAsync(port, netns, $"{ip}/24", $"192.168.{50 + lan}.1", cancellationToken);
        await Lan.IpAsync(cancellationToken, "link", "set", port, "master", $"lan{lan}");

        byte[] cidrBytes = ClusterCidr.BaseAddress.GetAddressBytes();
        cidrBytes[2] = (byte)index;
        var podCidr = new IPNetwork(new IPAddress(cidrBytes), 24);
        string nodeName = $"pn-{name}-{_suffix}";
        await _client.CoreV1.CreateNodeAsync(
            new V1Node
            {
                Metadata = new V1ObjectMeta { Name = nodeName },
                Spec = new V1NodeSpec { PodCIDR = podCidr.ToString(), PodCIDRs = [podCidr.ToString()] },
                Status = new V1NodeStatus { Addresses = [new V1NodeAddress { Address = ip.ToString(), Type = "InternalIP" }, new V1NodeAddress { Address = nodeName, Type = "Hostname" }] },
            },
            cancellationToken: cancellationToken);
        var node = new LabNode(nodeName, netns, ip, podCidr, new PodNetwork(_client, new PodNetworkOptions
        {
            NodeName = nodeName,
            NodeIp = ip,
            PodCidr = podCidr,
            ClusterCidr = ClusterCidr,
            BridgeName = "cni0",
            Backend = backend,
            Command = netns.Command,
        }, _loggers, TimeProvider.System));
        _nodes.Add(node);
        return node;
    }

    /// <summary>PrepareAsync, then RunAsync in the background (as the agent does).</summary>
    public static async Task StartPodNetworkAsync(LabNode node, CancellationToken cancellationToken)
    {
        await node.Network.PrepareAsync(cancellationToken);
        node.Running = node.Network.RunAsync(node.Stop.Token);
    }

    /// <summary>A pod namespace on <paramref name="node"/>'s bridge, wired by the real CNI bridge plugin with the agent's conflist; returns the pod's IP.</summary>
    public async Task<(NetworkNamespace Pod, IPAddress Ip)> AddPodAsync(LabNode node, string name, CancellationToken cancellationToken)
    {
        NetworkNamespace pod = await AddNamespaceAsync($"skt-pnp{name}-{_suffix}", cancellationToken);

        string conflist = ContainerdConfig.CniConflist(new ContainerdOptions
        {
            DataDir = Path.Combine(TempDir, node.NodeName),
            BridgeName = node.Network.Options.BridgeName,
            PodSubnet = node.PodCidr.ToString(),
            Mtu = node.Network.PodMtu,
        });
        JsonNode list = JsonNode.Parse(conflist)!;
        JsonObject bridge = list["plugins"]![0]!.AsObject().DeepClone().AsObject();
        bridge["cniVersion"] = list["cniVersion"]!.GetValue<string>();
        bridge["name"] = list["name"]!.GetValue<string>();
        string result = await node.Command.RunAsync(
            "env",
            ["CNI_COMMAND=ADD", "CNI_CONTAINERID=" + pod.Name, "CNI_NETNS=" + pod.Path, "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni", "/usr/lib/cni/bridge"],
            bridge.ToJsonString(),
            cancellationToken);
        string address = JsonNode.Parse(result)!["ips"]![0]!["address"]!.GetValue<string>();
        return (pod, IPAddress.Parse(address.Split('/')[0]));
    }

    /// <summary>Starts <c>busybox httpd</c> inside <paramref name="netns"/>'s namespace serving one page with <paramref name="body"/>.</summary>
    public void StartHttpd(NetworkNamespace netns, int port, string body)
    {
        ArgumentNullException.ThrowIfNull(netns);
        string dir = Path.Combine(TempDir, "www-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "index.html"), body);
        _processes.Add(netns.StartHttpd(dir, port));
    }

    /// <summary>Polls <c>busybox wget</c> from <paramref name="from"/> until it returns the page (or the token ends); returns the last output or error.</summary>
    public static async Task<string> WgetAsync(NetworkNamespace from, IPAddress to, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        string last = "";
        while (!cancellationToken.IsCancellationRequested)
        {
            var (code, stdout, stderr) = await from.Command.TryRunAsync(
                // timeout(1), not wget's -T: busybox 1.35's wget crashes (SIGSEGV) whenever -T is given.
                "timeout", ["3", "busybox", "wget", "-q", "-O-", $"http://{to}:{port}/"], cancellationToken: CancellationToken.None);
            if (code == 0)
            {
                return stdout;
            }

            last = $"wget exited {code}: {stderr.Trim()}";
            await Task.Delay(200, CancellationToken.None);
        }

        return last;
    }

    /// <summary>Runs a shell command line in the namespace (test setup only).</summary>
    public static Task<string> Sh(NetCommand command, string script, CancellationToken cancellationToken) =>
        command.RunAsync("sh", ["-e", "-c", script], cancellationToken: cancellationToken);

    /// <summary>Polls until <paramref name="check"/> holds or the token ends; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> check, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (await check())
            {
                return true;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        return await check();
    }

    private async Task<NetworkNamespace> AddNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        NetworkNamespace netns = await NetworkNamespace.CreateAsync(name, cancellationToken);
        _namespaces.Add(netns);
        return netns;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (LabNode node in _nodes)
            {
                await node.StopAsync();
                try
                {
                    await _client.CoreV1.DeleteNodeAsync(node.NodeName);
                }
                catch (HttpOperationException)
                {
                    // Already deleted by the test.
                }
            }
        }
        finally
        {
            // Even when a pod network failed to stop: no httpd or namespace may outlive the lab.
            foreach (ChildProcess process in _processes)
            {
                await process.DisposeAsync();
            }

            // Pods first, then nodes, then the lan: deleting a namespace deletes its devices (veths, bridges, the VXLAN device).
            foreach (NetworkNamespace netns in Enumerable.Reverse(_namespaces))
            {
                await netns.DisposeAsync();
            }

            Directory.Delete(TempDir, recursive: true);
        }
    }
}

/// <summary>One node of a <see cref="PodNetworkLab"/>.</summary>
internal sealed class LabNode(string nodeName, NetworkNamespace netns, IPAddress ip, IPNetwork podCidr, PodNetwork network)
{
    public string NodeName { get; } = nodeName;

    public NetworkNamespace Netns { get; } = netns;

    public IPAddress Ip { get; } = ip;

    public IPNetwork PodCidr { get; } = podCidr;

    public NetCommand Command => Netns.Command;

    public PodNetwork Network { get; } = network;

    public CancellationTokenSource Stop { get; } = new();

    public Task? Running { get; set; }

    /// <summary>Cancels the pod network and waits until its cleanup finished.</summary>
    public async Task StopAsync()
    {
        await Stop.CancelAsync();
        if (Running is not null)
        {
            await Running;
        }
    }
}
