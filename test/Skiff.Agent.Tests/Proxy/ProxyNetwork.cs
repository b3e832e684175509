using System.Diagnostics;
using Skiff.Agent.Network;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>
/// Network namespaces standing in for one node and its pods (names <c>skt-px&lt;role&gt;-&lt;random4&gt;</c>): the node has a bridge
/// 10.244.0.1/24 with three pods (10.244.0.11-13, each serving a page with its own name on :8080 through busybox httpd), a client
/// pod on its own routed veth (10.244.1.2, so replies from bridge pods pass the node's conntrack without br_netfilter), and an
/// outside host on 192.168.77.2 whose route to the node's 192.168.77.1 is the only way in. Dispose kills the httpd processes by
/// PID and deletes every namespace, also after a failed start.
/// </summary>
internal sealed class ProxyNetwork : IAsyncDisposable
{
    public const string NodeAddress = "192.168.77.1";
    public static readonly string[] PodIps = ["10.244.0.11", "10.244.0.12", "10.244.0.13"];

    private readonly string _suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..4];
    private readonly List<string> _namespaces = [];
    private readonly List<Process> _servers = [];
    private readonly string _pages = Path.Combine(Path.GetTempPath(), "skt-proxy-" + Guid.NewGuid().ToString("N")[..8]);

    public string Node => "skt-pxn-" + _suffix;

    public string Client => "skt-pxc-" + _suffix;

    public string Outside => "skt-pxo-" + _suffix;

    public static string PodName(int i) => "pod" + (i + 1);

    public string Pod(int i) => "skt-pxp" + (i + 1) + "-" + _suffix;

    public static NetCommand In(string netns) => new("/run/netns/" + netns);

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

    /// <summary>curl from <paramref name="netns"/> (2 s limit; busybox's static wget crashes here): the page on success, null on failure (and <c>exit N: message</c>; 7 is curl's could-not-connect, 28 its timeout).</summary>
    public static async Task<(string? Page, string Error)> GetAsync(string netns, string host, int port, CancellationToken cancellationToken)
    {
        var (code, stdout, stderr) = await In(netns).TryRunAsync(
            "curl", ["-s", "-S", "--max-time", "2", "http://" + host + ":" + port + "/"], cancellationToken: cancellationToken);
        return code == 0 ? (stdout.Trim(), "") : (null, "exit " + code + ": " + stderr.Trim());
    }

    private async Task SetUpAsync(bool withPods, CancellationToken cancellationToken)
    {
        await AddNamespaceAsync(Node, cancellationToken);
        await IpAsync(cancellationToken, "-n", Node, "link", "add", "br0", "type", "bridge");
        await IpAsync(cancellationToken, "-n", Node, "addr", "add", "10.244.0.1/24", "dev", "br0");
        await IpAsync(cancellationToken, "-n", Node, "link", "set", "br0", "up");
        await In(Node).RunAsync("sysctl", ["-w", "net.ipv4.ip_forward=1"], cancellationToken: cancellationToken);
        await LinkAsync(Outside, "vout", "192.168.77.1/24", "192.168.77.2/24", cancellationToken);
        // A node has a default route: without one, the node's own connections to a cluster IP fail before any iptables rule.
        await IpAsync(cancellationToken, "-n", Node, "route", "add", "default", "via", "192.168.77.2");
        if (!withPods)
        {
            return;
        }

        await LinkAsync(Client, "vcli", "10.244.1.1/24", "10.244.1.2/24", cancellationToken);
        Directory.CreateDirectory(_pages);
        for (int i = 0; i < PodIps.Length; i++)
        {
            string pod = Pod(i);
            await AddNamespaceAsync(pod, cancellationToken);
            await IpAsync(cancellationToken, "-n", Node, "link", "add", "vp" + i, "type", "veth", "peer", "name", "eth0", "netns", pod);
            await IpAsync(cancellationToken, "-n", Node, "link", "set", "vp" + i, "master", "br0", "up");
            // As the CNI bridge plugin's hairpinMode: with br_netfilter, a pod's packet DNATed back to itself leaves by the port it came in.
            await IpAsync(cancellationToken, "-n", Node, "link", "set", "vp" + i, "type", "bridge_slave", "hairpin", "on");
            await IpAsync(cancellationToken, "-n", pod, "addr", "add", PodIps[i] + "/24", "dev", "eth0");
            await IpAsync(cancellationToken, "-n", pod, "link", "set", "eth0", "up");
            await IpAsync(cancellationToken, "-n", pod, "route", "add", "default", "via", "10.244.0.1");
            string dir = Path.Combine(_pages, PodName(i));
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "index.html"), PodName(i) + "\n", cancellationToken);
            var info = new ProcessStartInfo("nsenter") { UseShellExecute = false };
            foreach (string arg in new[] { "--net=/run/netns/" + pod, "--", "busybox", "httpd", "-f", "-p", "8080", "-h", dir })
            {
                info.ArgumentList.Add(arg);
            }

            _servers.Add(Process.Start(info) ?? throw new InvalidOperationException("httpd did not start"));
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

                Assert.True(attempt < 50, "httpd in " + Pod(i) + " did not answer");
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>A namespace joined to the node by a veth pair (node side <paramref name="nodeCidr"/>, far side eth0 <paramref name="farCidr"/>, default route to the node).</summary>
    private async Task LinkAsync(string netns, string nodeSide, string nodeCidr, string farCidr, CancellationToken cancellationToken)
    {
        await AddNamespaceAsync(netns, cancellationToken);
        await IpAsync(cancellationToken, "-n", Node, "link", "add", nodeSide, "type", "veth", "peer", "name", "eth0", "netns", netns);
        await IpAsync(cancellationToken, "-n", Node, "addr", "add", nodeCidr, "dev", nodeSide);
        await IpAsync(cancellationToken, "-n", Node, "link", "set", nodeSide, "up");
        await IpAsync(cancellationToken, "-n", netns, "addr", "add", farCidr, "dev", "eth0");
        await IpAsync(cancellationToken, "-n", netns, "link", "set", "eth0", "up");
        await IpAsync(cancellationToken, "-n", netns, "route", "add", "default", "via", nodeCidr[..nodeCidr.IndexOf('/', StringComparison.Ordinal)]);
    }

    private async Task AddNamespaceAsync(string netns, CancellationToken cancellationToken)
    {
        await IpAsync(cancellationToken, "netns", "add", netns);
        _namespaces.Add(netns);
        await IpAsync(cancellationToken, "-n", netns, "link", "set", "lo", "up");
    }

    private static Task<string> IpAsync(CancellationToken cancellationToken, params string[] arguments) =>
        NetCommand.Host.RunAsync("ip", arguments, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (Process server in _servers)
        {
            try
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            server.Dispose();
        }

        foreach (string netns in Enumerable.Reverse(_namespaces))
        {
            await NetCommand.Host.TryRunAsync("ip", ["netns", "delete", netns]);
        }

        if (Directory.Exists(_pages))
        {
            Directory.Delete(_pages, recursive: true);
        }
    }
}
