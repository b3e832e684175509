using Skiff.TestKit.Processes;

namespace Skiff.TestKit.Server;

/// <summary>How <see cref="SkiffServerProcess.StartAsync"/> runs <c>skiff server</c>; every default suits a throw-away test server.</summary>
public sealed record SkiffServerOptions
{
    /// <summary>The skiff to run; <see cref="SkiffCommand.Dll"/> beside the test assembly unless set.</summary>
    public SkiffCommand? Skiff { get; init; }

    /// <summary>The data directory; a fresh temp directory, deleted on dispose, unless set (a caller's directory is kept).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The HTTPS port on 127.0.0.1; a free one (retried on a new port if another process takes it first) unless set.</summary>
    public int? Port { get; init; }

    /// <summary>The address it listens on (<c>--bind-address</c>) and clients use; 127.0.0.1 unless set.</summary>
    public System.Net.IPAddress BindAddress { get; init; } = System.Net.IPAddress.Loopback;

    /// <summary>
    /// A network namespace file (<c>/run/netns/x</c>) to run the server in through <c>nsenter --net</c>; null: this process's
    /// namespace. A server in its own namespace listens on 6443 unless <see cref="Port"/> says otherwise.
    /// </summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Arguments after the ones that place the server on loopback without an agent.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>
    /// Pass <c>--disable-agent</c> (the default: no containerd, no kubelet). Tests of the embedded agent set false and give
    /// their own <c>--cluster-cidr</c>, and must stop the containerd it leaves (its PID file is under agent/containerd).
    /// </summary>
    public bool DisableAgent { get; init; } = true;

    /// <summary>
    /// Given to an embedded agent (<see cref="DisableAgent"/> false): by default it leaves the host's network alone (no Service
    /// or NetworkPolicy iptables rules, no routes or VXLAN to other nodes, no DNS server on the bridge address), since tests run
    /// in parallel on one host. A test that needs one of those parts replaces this list.
    /// </summary>
    public IReadOnlyList<string> AgentNetworkArguments { get; init; } = HostAgentNetworkArguments;

    /// <summary>The flags that keep an agent running on the test host off the host's iptables, routes and port 53.</summary>
    public static IReadOnlyList<string> HostAgentNetworkArguments { get; } =
        ["--disable-kube-proxy", "--disable-network-policy", "--flannel-backend", "none", "--disable-cluster-dns"];

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
