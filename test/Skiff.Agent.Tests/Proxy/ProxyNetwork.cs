using Skiff.TestKit.Network;
using Skiff.TestKit.Processes;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>
/// Network namespaces standing in for one node and its pods (names <c>skt-px&lt;role&gt;-&lt;random4&gt;</c>): the node has a bridge
/// 10.244.0.1/24 with three pods (10.244.0.11-13, each serving a page with its own name on :8080 through busybox httpd), a client
/// pod on its own routed veth (10.244.1.2, so replies from bridge pods pass the node's conntrack without br_netfilter), and an
/// outside host on 192.168.77.2 whose route to the node's 192.168.77.1 is the only way in. Dispose stops the httpd processes by
/// PID and deletes every namespace, also after a failed start.
/// </summary>
internal sealed class ProxyNetwork : IAsyncDisposable
{
    public const string NodeAddress = "192.168.77.1";
    public static readonly string[] PodIps = ["10.244.0.11", "10.244.0.12", "10.244.0.13"];

    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<NetworkNamespace> _namespaces = [];
    private readonly List<NetworkNamespace> _pods = [];
    private readonly List<ChildProcess> _servers = [];
    private readonly string _pages = Path.Combine(Path.GetTempPath(), "skt-proxy-" + Guid.NewGuid().ToString("N")[..8]);
    private NetworkNamespace? _node;
    private NetworkNamespace? _client;
    private NetworkNamespace? _outside;

    public NetworkNamespace Node => _node ?? throw new InvalidOperationException("The network has not been set up.");

    public NetworkNamespace Client => _client ?? throw new InvalidOperationException("The network was created without pods.");

    public NetworkNamespace Outside => _outside ?? throw new InvalidOperationException("The network has not been set up.");

    public static string PodName(int i) => "pod" + (i + 1);

    public NetworkNamespace Pod(int i) => _pods[i];

    public static async Task<ProxyNetwork> CreateAsync(bool withPods, CancellationToken cancellationToken)
    {
        var network = new ProxyNetwork();
        try
        {
            await network.SetUpAsync(withPods, cancellationToken);
            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>curl from <paramref name="from"/> (2 s limit; busybox's static wget crashes here): the page on success, null on failure (and <c>exit N: message</c>; 7 is curl's could-not-connect, 28 its timeout).</summary>
    public static async Task<(string? Page, string Error)> GetAsync(NetworkNamespace from, string host, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        var (code, stdout, stderr) = await from.Command.TryRunAsync(
            "curl", ["-s", "-S", "--max-time", "2", "http://" + host + ":" + port + "/"], cancellationToken: cancellationToken);
        return code == 0 ? (stdout.Trim(), "") : (null, "exit " + code + ": " + stderr.Trim());
    }

    private async Task SetUpAsync(bool withPods, CancellationToken cancellationToken)
    {
        _node = await AddNamespaceAsync("skt-pxn-" + _suffix, cancellationToken);
        await Node.IpAsync(cancellationToken, "link", "add", "br0", "type", "bridge");
        await Node.IpAsync(cancellationToken, "addr", "add", "10.244.0.1/24", "dev", "br0");
        await Node.IpAsync(cancellationToken, "link", "set", "br0", "up");
        await Node.Command.RunAsync("sysctl", ["-w", "net.ipv4.ip_forward=1"], cancellationToken: cancellationToken);
        _outside = await LinkAsync("skt-pxo-" + _suffix, "vout", "192.168.77.1/24", "192.168.77.2/24", cancellationToken);
        // A node has a default route: without one, the node's own connections to a cluster IP fail before any iptables rule.
        await Node.IpAsync(cancellationToken, "route", "add", "default", "via", "192.168.77.2");
        if (!withPods)
        {
            return;
        }

        _client = await LinkAsync("skt-pxc-" + _suffix, "vcli", "10.244.1.1/24", "10.244.1.2/24", cancellationToken);
        Directory.CreateDirectory(_pages);
        for (int i = 0; i < PodIps.Length; i++)
        {
            NetworkNamespace pod = await AddNamespaceAsync("skt-pxp" + (i + 1) + "-" + _suffix, cancellationToken);
            _pods.Add(pod);
            await Node.AddVethAsync("vp" + i, pod, PodIps[i] + "/24", "10.244.0.1", cancellationToken);
            await Node.IpAsync(cancellationToken, "link", "set", "vp" + i, "master", "br0");
            // As the CNI bridge plugin's hairpinMode: with br_netfilter, a pod's packet DNATed back to itself leaves by the port it came in.
            await Node.IpAsync(cancellationToken, "link", "set", "vp" + i, "type", "bridge_slave", "hairpin", "on");
            string dir = Path.Combine(_pages, PodName(i));
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "index.html"), PodName(i) + "\n", cancellationToken);
            _servers.Add(pod.StartHttpd(dir, 8080));
        }

        // Each server answers before a test relies on it.
        for (int i = 0; i < PodIps.Length; i++)
        {
            for (int attempt = 0; ; attempt++)
            {
                var (page, _) = await GetAsync(Pod(i), PodIps[i], 8080, cancellationToken);
                if (page == PodName(i))
                {
                    break;
                }

                Assert.True(attempt < 50, "httpd in " + Pod(i).Name + " did not answer");
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>A namespace joined to the node by a veth pair (node side <paramref name="nodeCidr"/>, far side eth0 <paramref name="farCidr"/>, default route to the node).</summary>
    private async Task<NetworkNamespace> LinkAsync(string name, string nodeSide, string nodeCidr, string farCidr, CancellationToken cancellationToken)
    {
        NetworkNamespace netns = await AddNamespaceAsync(name, cancellationToken);
        await Node.AddVethAsync(nodeSide, netns, farCidr, nodeCidr[..nodeCidr.IndexOf('/', StringComparison.Ordinal)], cancellationToken);
        await Node.IpAsync(cancellationToken, "addr", "add", nodeCidr, "dev", nodeSide);
        return netns;
    }

    private async Task<NetworkNamespace> AddNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        NetworkNamespace netns = await NetworkNamespace.CreateAsync(name, cancellationToken);
        _namespaces.Add(netns);
        return netns;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ChildProcess server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (NetworkNamespace netns in Enumerable.Reverse(_namespaces))
        {
            await netns.DisposeAsync();
        }

        if (Directory.Exists(_pages))
        {
            Directory.Delete(_pages, recursive: true);
        }
    }
}
