using System.Globalization;
using Skiff.Agent.Network;
using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Network;

/// <summary>
/// A network namespace a test made (<c>ip netns add</c>, so it is the file <c>/run/netns/NAME</c>) with its loopback up.
/// Commands and child processes run in it through <c>nsenter --net</c>; dispose deletes it, and with it every device, route and
/// iptables rule inside (a veth whose peer lives elsewhere goes too).
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private NetworkNamespace(string name)
    {
        Name = name;
        Command = new NetCommand(Path);
    }

    public string Name { get; }

    /// <summary>The namespace file for <c>nsenter --net=</c> and setns(2).</summary>
    public string Path => "/run/netns/" + Name;

    /// <summary>Runs the network tools inside this namespace.</summary>
    public NetCommand Command { get; }

    /// <summary>Creates the namespace <paramref name="name"/> and brings its loopback up.</summary>
    public static async Task<NetworkNamespace> CreateAsync(string name, CancellationToken cancellationToken)
    {
        await NetCommand.Host.RunAsync("ip", ["netns", "add", name], cancellationToken: cancellationToken);
        var netns = new NetworkNamespace(name);
        try
        {
            await netns.IpAsync(cancellationToken, "link", "set", "lo", "up");
            return netns;
        }
        catch
        {
            await netns.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>ip ARGS</c> inside the namespace; returns its output, throws <see cref="NetCommandException"/> on failure.</summary>
    public Task<string> IpAsync(CancellationToken cancellationToken, params string[] arguments) =>
        Command.RunAsync("ip", arguments, cancellationToken: cancellationToken);

    /// <summary>Runs a command inside the namespace to completion and returns its exit code and output (stdout, then stderr).</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        (int code, string stdout, string stderr) = await Command.TryRunAsync(fileName, arguments, cancellationToken: cancellationToken);
        return (code, stdout + stderr);
    }

    /// <summary>Starts a long-running child inside the namespace (stopped by PID when it is disposed).</summary>
    public ChildProcess Start(ChildProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ChildProcess.Start(options.InNetworkNamespace(Path));
    }

    /// <summary>
    /// Starts <c>busybox httpd</c> in the foreground serving <paramref name="directory"/> on <paramref name="port"/> of every address
    /// in the namespace; disposing the returned process stops it by PID.
    /// </summary>
    public ChildProcess StartHttpd(string directory, int port)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string portText = port.ToString(CultureInfo.InvariantCulture);
        // httpd dies on SIGTERM at once, so a short stop timeout only matters when something is badly wrong.
        return Start(new ChildProcessOptions("busybox", ["httpd", "-f", "-p", portText, "-h", directory])
        {
            Name = $"httpd :{portText} in {Name}",
            StopTimeout = TimeSpan.FromSeconds(5),
        });
    }

    /// <summary>
    /// A veth pair from here into <paramref name="peer"/>: <paramref name="device"/> on this side, up but without an address (the
    /// caller bridges or addresses it), and eth0 in <paramref name="peer"/> with <paramref name="peerCidr"/>, up, with its default
    /// route via <paramref name="gateway"/>. Deleting either namespace deletes the pair.
    /// </summary>
    public async Task AddVethAsync(string device, NetworkNamespace peer, string peerCidr, string gateway, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        await IpAsync(cancellationToken, "link", "add", device, "type", "veth", "peer", "name", "eth0", "netns", peer.Name);
        await IpAsync(cancellationToken, "link", "set", device, "up");
        await peer.IpAsync(cancellationToken, "addr", "add", peerCidr, "dev", "eth0");
        await peer.IpAsync(cancellationToken, "link", "set", "eth0", "up");
        await peer.IpAsync(cancellationToken, "route", "add", "default", "via", gateway);
    }

    public async ValueTask DisposeAsync() =>
        await NetCommand.Host.TryRunAsync("ip", ["netns", "delete", Name]);
}
