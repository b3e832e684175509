namespace Skiff.Agent.Runtime;

/// <summary>
/// How the agent runs its own containerd: every path it writes lives under <see cref="DataDir"/>, and the CNI bridge has its
/// own name and subnet, so two instances (tests, several nodes on one machine) never share state.
/// </summary>
public sealed record ContainerdOptions
{
    /// <summary>Holds config.toml, the socket, containerd's root and state, runc's root, the CNI config and IPAM state.</summary>
    public required string DataDir { get; init; }

    /// <summary>The Linux bridge the pods attach to (at most 15 characters).</summary>
    public string BridgeName { get; init; } = "skiff0";

    /// <summary>The pod subnet the bridge's host-local IPAM hands addresses from.</summary>
    public string PodSubnet { get; init; } = "10.42.0.0/24";

    /// <summary>The pods' MTU (the bridge plugin's <c>mtu</c>); null: the default. Lower than the underlay's when VXLAN carries pod traffic.</summary>
    public int? Mtu { get; init; }

    /// <summary>The sandbox (pause) image; <see cref="PauseImage"/> builds and imports it at start when <see cref="ImportPauseImage"/>.</summary>
    public string SandboxImage { get; init; } = PauseImage.Name;

    /// <summary>Build the pause image from source and import it once containerd is ready.</summary>
    public bool ImportPauseImage { get; init; } = true;

    public string ContainerdPath { get; init; } = "containerd";

    public string CtrPath { get; init; } = "ctr";

    public string CniBinDir { get; init; } = "/usr/lib/cni";

    /// <summary>How long start may take until CRI reports RuntimeReady and NetworkReady.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long stop waits after SIGTERM before it sends SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The registries file (k3s's registries.yaml format; flag <c>--registries-file</c>): its mirrors and TLS settings become
    /// hosts.toml files under <see cref="RegistryConfigDir"/> at every start. Null or absent: no configuration.
    /// </summary>
    public string? RegistriesFile { get; init; }

    /// <summary>Where containerd's process id is kept, so a restarted agent finds and reuses a containerd that survived it.</summary>
    public string PidFilePath => Path.Combine(DataDir, "containerd.pid");

    /// <summary>containerd's own log (its stdout and stderr), a file so that containerd outlives the agent that started it.</summary>
    public string LogPath => Path.Combine(DataDir, "containerd.log");

    public string SocketPath => Path.Combine(DataDir, "containerd.sock");

    public string ConfigPath => Path.Combine(DataDir, "config.toml");

    public string CniConfDir => Path.Combine(DataDir, "cni", "net.d");

    public string RegistryConfigDir => Path.Combine(DataDir, "certs.d");
}
