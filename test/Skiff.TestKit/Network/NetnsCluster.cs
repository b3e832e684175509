using System.Globalization;
using System.Net;
using k8s;
using k8s.Models;
using Skiff.Agent.Network;
using Skiff.TestKit.Processes;
using Skiff.TestKit.Server;

namespace Skiff.TestKit.Network;

/// <summary>
/// A real multi-node cluster on one machine, each machine a network namespace on a test LAN (a bridge in namespace
/// <c>skt-lan-ID</c>, subnet 10.X.Y.0/24 chosen free at random):
/// <list type="bullet">
/// <item>.1: this test process, through a veth from the host into the LAN (the only device made outside a test namespace);</item>
/// <item>.2: <c>skiff server --disable-agent</c> in <c>skt-srv-ID</c>, with <c>--service-lb-pool</c> <see cref="LoadBalancerPool"/>;</item>
/// <item>.11, .12, ...: one <c>skiff agent</c> per node in <c>skt-nN-ID</c>, each starting its own containerd there, pulling
/// through <c>--registries-file</c> from the LAN registry and resolving through <c>--resolv-conf</c> naming the upstream;</item>
/// <item>.250: <c>skt-ext-ID</c>, the outside world: the upstream DNS resolver (<see cref="UpstreamDnsServer"/>) and a client
/// that routes <see cref="LoadBalancerPool"/> via the first node;</item>
/// <item>.254: the LAN's own address, where a docker-registry serves the images <c>scripts/images.sh</c> built.</item>
/// </list>
/// Every namespace has a default route via .254, which forwards nothing, so no packet leaves the test namespaces.
/// <see cref="DisposeAsync"/> deletes the pods through the API, then tears down each node, the server, the registry and the
/// namespaces (with their devices, routes and iptables rules), also after a failed start.
/// </summary>
public sealed partial class NetnsCluster : IAsyncDisposable
{
    private readonly List<NetnsNode> _nodes = [];
    private readonly NetnsClusterOptions _options;
    private readonly List<NetworkNamespace> _namespaces = [];
    private ChildProcess? _registry;
    private SkiffServerProcess? _server;
    private Kubernetes? _client;
    private UpstreamDnsServer? _upstream;
    private bool _hostLink;
    private NetworkNamespace? _external;

    private NetnsCluster(NetnsClusterOptions options, string id, string lanPrefix, string root)
    {
        _options = options;
        Id = id;
        LanPrefix = lanPrefix;
        Root = root;
        LoadBalancerPool = IPNetwork.Parse($"172.31.{Convert.ToInt32(id[..2], 16)}.0/28");
    }

    /// <summary>Four hex digits in every namespace and device name of this cluster.</summary>
    public string Id { get; }

    /// <summary>The LAN's first three octets with the final dot, such as <c>10.213.7.</c>.</summary>
    public string LanPrefix { get; }

    /// <summary>The temp directory holding every data directory, config file and the registry storage.</summary>
    public string Root { get; }

    /// <summary>Where LoadBalancer Services' IPs come from (<c>skiff server --service-lb-pool</c>); the external client routes it via the first node.</summary>
    public IPNetwork LoadBalancerPool { get; }

    public IPAddress HostAddress => Lan(1);

    public IPAddress ServerAddress => Lan(2);

    public IPAddress ExternalAddress => Lan(250);

    public IPAddress RegistryAddress => Lan(254);

    public IReadOnlyList<NetnsNode> Nodes => _nodes;

    public SkiffServerProcess Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public Kubernetes Client => _client ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>The outside world's namespace (.250): a client on the LAN that is no node.</summary>
    public NetworkNamespace External => _external ?? throw new InvalidOperationException("The LAN has not been built.");

    /// <summary>The upstream resolver the nodes' <c>--resolv-conf</c> names (in <see cref="External"/>).</summary>
    public UpstreamDnsServer Upstream => _upstream ?? throw new InvalidOperationException("The upstream DNS has not started.");

    private string HostLinkName => "skt-h-" + Id;

    /// <summary>The full name of image <c>skiff/NAME:1</c> in the LAN registry.</summary>
    public string Image(string name) => $"{RegistryAddress}:5000/skiff/{name}:1";

    /// <summary>Builds and starts the whole cluster and returns once every Node is Ready.</summary>
    public static async Task<NetnsCluster> StartAsync(NetnsClusterOptions? options, CancellationToken cancellationToken)
    {
        options ??= new NetnsClusterOptions();
        string id = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
        string lanPrefix = await FreeLanPrefixAsync(cancellationToken);
        string root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "skt-" + id)).FullName;
        var cluster = new NetnsCluster(options, id, lanPrefix, root);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            await cluster.BuildAsync(timeout.Token);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(CancellationToken cancellationToken)
    {
        NetworkNamespace lan = await NamespaceAsync("lan", cancellationToken);
        await lan.IpAsync(cancellationToken, "link", "add", "br0", "type", "bridge");
        await lan.IpAsync(cancellationToken, "addr", "add", RegistryAddress + "/24", "dev", "br0");
        await lan.IpAsync(cancellationToken, "link", "set", "br0", "up");
        await JoinHostAsync(lan, cancellationToken);
        Task images = StartRegistryAsync(lan, cancellationToken);

        NetworkNamespace serverNetns = await NamespaceAsync("srv", cancellationToken);
        await JoinLanAsync(lan, serverNetns, "srv", ServerAddress, cancellationToken);
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(Root, "server")).FullName,
            NetworkNamespace = serverNetns.Path,
            BindAddress = ServerAddress,
            DisableAgent = true,
            ExtraArguments = ["--service-lb-pool", LoadBalancerPool.ToString(), .. _options.ServerArguments],
            StartTimeout = TimeSpan.FromMinutes(2),
        }, cancellationToken);
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));

        _external = await NamespaceAsync("ext", cancellationToken);
        await JoinLanAsync(lan, External, "ext", ExternalAddress, cancellationToken);
        _upstream = UpstreamDnsServer.Start(External.Path, ExternalAddress, _options.ExternalNames);
        string resolvConf = Path.Combine(Root, "resolv.conf");
        await File.WriteAllTextAsync(resolvConf, $"nameserver {ExternalAddress}\n", cancellationToken);
        string registries = Path.Combine(Root, "registries.yaml");
        await File.WriteAllTextAsync(registries, $"mirrors:\n  \"{RegistryAddress}:5000\":\n    endpoint: [\"http://{RegistryAddress}:5000\"]\n", cancellationToken);
        await images;

        string token = (await File.ReadAllTextAsync(Path.Combine(_server.DataDirectory, "token"), cancellationToken)).Trim();
        for (int i = 0; i < _options.NodeCount; i++)
        {
            _nodes.Add(await StartNodeAsync(lan, i, token, resolvConf, registries, cancellationToken));
        }

        await External.IpAsync(cancellationToken, "route", "add", LoadBalancerPool.ToString(), "via", _nodes[0].Address.ToString());
        await WaitForNodesReadyAsync(cancellationToken);
    }

    private async Task<NetnsNode> StartNodeAsync(
        NetworkNamespace lan, int index, string token, string resolvConf, string registries, CancellationToken cancellationToken)
    {
        string name = "node-" + (char)('a' + index);
        NetworkNamespace netns = await NamespaceAsync("n" + (index + 1).ToString(CultureInfo.InvariantCulture), cancellationToken);
        IPAddress address = Lan(11 + index);
        await JoinLanAsync(lan, netns, "n" + (index + 1).ToString(CultureInfo.InvariantCulture), address, cancellationToken);
        string data = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        ChildProcessOptions agent = SkiffCommand.Dll().Options(
        [
            "agent", "--server", Server.Url.ToString().TrimEnd('/'), "--token", token, "--data-dir", data, "--node-name", name,
            "--node-ip", address.ToString(), "--resolv-conf", resolvConf, "--registries-file", registries,
            .. _options.AgentArguments,
        ]) with
        {
            Name = "skiff agent " + name,
            WorkingDirectory = data,
            StopTimeout = TimeSpan.FromSeconds(20),
        };
        _namespaces.Remove(netns); // the node owns its namespace from here
        return new NetnsNode(name, address, netns, data, netns.Start(agent));
    }

    private async Task WaitForNodesReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (NetnsNode node in _nodes.Where(n => n.Agent.HasExited))
            {
                throw new ChildProcessExitedException($"{node.Agent.Name} exited with code {node.Agent.ExitCode}:\n{node.Agent.Output()}");
            }

            V1NodeList list = await Client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken);
            var ready = list.Items
                .Where(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
                .Select(n => n.Metadata.Name)
                .ToHashSet(StringComparer.Ordinal);
            if (_nodes.All(n => ready.Contains(n.Name)))
            {
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                string tails = string.Join("\n", _nodes.Select(n => $"--- {n.Agent.Name}:\n{n.Agent.Output()}"));
                throw new TimeoutException($"not every node became Ready; ready: {string.Join(", ", ready)}\n{tails}");
            }
        }
    }

    private IPAddress Lan(int host) => IPAddress.Parse(LanPrefix + host.ToString(CultureInfo.InvariantCulture));

    private async Task<NetworkNamespace> NamespaceAsync(string role, CancellationToken cancellationToken)
    {
        NetworkNamespace netns = await NetworkNamespace.CreateAsync($"skt-{role}-{Id}", cancellationToken);
        _namespaces.Add(netns);
        return netns;
    }

    /// <summary>A veth from <paramref name="member"/> (eth0, <paramref name="address"/>/24, default route via .254) into the LAN bridge.</summary>
    private async Task JoinLanAsync(NetworkNamespace lan, NetworkNamespace member, string tag, IPAddress address, CancellationToken cancellationToken)
    {
        await lan.IpAsync(cancellationToken, "link", "add", "v-" + tag, "type", "veth", "peer", "name", "eth0", "netns", member.Name);
        await lan.IpAsync(cancellationToken, "link", "set", "v-" + tag, "master", "br0", "up");
        await member.IpAsync(cancellationToken, "addr", "add", address + "/24", "dev", "eth0");
        await member.IpAsync(cancellationToken, "link", "set", "eth0", "up");
        await member.IpAsync(cancellationToken, "route", "add", "default", "via", RegistryAddress.ToString());
    }

    /// <summary>The test process's way in: a veth from the host (<see cref="HostAddress"/>/24) into the LAN bridge.</summary>
    private async Task JoinHostAsync(NetworkNamespace lan, CancellationToken cancellationToken)
    {
        await NetCommand.Host.RunAsync("ip", ["link", "add", HostLinkName, "type", "veth", "peer", "name", "v-host", "netns", lan.Name], cancellationToken: cancellationToken);
        _hostLink = true;
        await lan.IpAsync(cancellationToken, "link", "set", "v-host", "master", "br0", "up");
        await NetCommand.Host.RunAsync("ip", ["addr", "add", HostAddress + "/24", "dev", HostLinkName], cancellationToken: cancellationToken);
        await NetCommand.Host.RunAsync("ip", ["link", "set", HostLinkName, "up"], cancellationToken: cancellationToken);
    }

    /// <summary>A 10.X.Y.0/24 that no route or address of the host mentions.</summary>
    private static async Task<string> FreeLanPrefixAsync(CancellationToken cancellationToken)
    {
        string used = await NetCommand.Host.RunAsync("ip", ["-4", "route", "show", "table", "all"], cancellationToken: cancellationToken)
            + await NetCommand.Host.RunAsync("ip", ["-4", "addr"], cancellationToken: cancellationToken);
        while (true)
        {
            byte[] random = Guid.NewGuid().ToByteArray();
            string prefix = $"10.{200 + (random[0] % 50)}.{random[1]}.";
            if (!used.Contains(prefix, StringComparison.Ordinal))
            {
                return prefix;
            }
        }
    }
}
