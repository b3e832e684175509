using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Skiff.Agent.Runtime;

/// <summary>
/// Writes what containerd 1.6 reads at start: config.toml (version 2), the CNI conflist and the registry hosts directory.
/// Each setting that departs from the defaults is one CONTAINERD.md found necessary on this kind of machine.
/// </summary>
internal static class ContainerdConfig
{
    /// <summary>The loopback registry that is reached over plain HTTP with no configuration, as in Docker.</summary>
    public const string LocalRegistry = "127.0.0.1:5000";

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void WriteAll(ContainerdOptions options)
    {
        Directory.CreateDirectory(options.DataDir);
        Directory.CreateDirectory(options.CniConfDir);
        File.WriteAllText(options.ConfigPath, Toml(options));
        File.WriteAllText(Path.Combine(options.CniConfDir, "10-skiff.conflist"), CniConflist(options));
        WriteRegistryHosts(options);
    }

    public static string Toml(ContainerdOptions o)
    {
        var cri = "plugins.\"io.containerd.grpc.v1.cri\"";
        var sb = new StringBuilder();
        sb.AppendLine("# Written by skiff at every start; edits are lost.");
        sb.AppendLine("version = 2");
        Line(sb, "root", Path.Combine(o.DataDir, "root"));
        Line(sb, "state", Path.Combine(o.DataDir, "state"));
        sb.AppendLine();
        sb.AppendLine("[grpc]");
        Line(sb, "  address", o.SocketPath);
        sb.AppendLine("[ttrpc]");
        Line(sb, "  address", o.SocketPath + ".ttrpc");
        sb.AppendLine();
        // The opt plugin would otherwise install into /opt/containerd, shared by every instance.
        sb.AppendLine("[plugins.\"io.containerd.internal.v1.opt\"]");
        Line(sb, "  path", Path.Combine(o.DataDir, "opt"));
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}]");
        Line(sb, "  sandbox_image", o.SandboxImage);
        // Root here lacks CAP_SYS_RESOURCE: without this runc fails with "can't get final child's PID from pipe: EOF".
        sb.AppendLine("  restrict_oom_score_adj = true");
        sb.AppendLine("  disable_apparmor = true");
        // Network namespaces under our state dir instead of /var/run/netns.
        sb.AppendLine("  netns_mounts_under_state_dir = true");
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}.containerd]");
        sb.AppendLine("  snapshotter = \"overlayfs\"");
        sb.AppendLine("  default_runtime_name = \"runc\"");
        // runc, not crun: crun refuses the hybrid cgroup layout; cgroupfs since there is no systemd.
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}.containerd.runtimes.runc]");
        sb.AppendLine("  runtime_type = \"io.containerd.runc.v2\"");
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}.containerd.runtimes.runc.options]");
        sb.AppendLine("  SystemdCgroup = false");
        Line(sb, "  Root", Path.Combine(o.DataDir, "runc"));
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}.cni]");
        Line(sb, "  bin_dir", o.CniBinDir);
        Line(sb, "  conf_dir", o.CniConfDir);
        sb.AppendLine("  max_conf_num = 1");
        sb.AppendLine(CultureInfo.InvariantCulture, $"[{cri}.registry]");
        Line(sb, "  config_path", o.RegistryConfigDir);
        return sb.ToString();
    }

    /// <summary>
    /// A bridge with host-local IPAM whose state stays under the data dir. The CRI plugin adds loopback itself; masquerading is
    /// not the plugin's (ipMasq false) but <see cref="Network.PodNetwork"/>'s, which keeps pod IPs between nodes; portmap serves hostPort.
    /// </summary>
    public static string CniConflist(ContainerdOptions o)
    {
        var ipam = new JsonObject
        {
            ["type"] = "host-local",
            ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = o.PodSubnet })),
            ["dataDir"] = Path.Combine(o.DataDir, "cni", "ipam"),
        };
        var bridge = new JsonObject
        {
            ["type"] = "bridge",
            ["bridge"] = o.BridgeName,
            ["isGateway"] = true,
            ["ipMasq"] = false,
            ["hairpinMode"] = true,
            // A default route via the bridge: without it a pod reaches only its own node's subnet, not other nodes' pods.
            ["isDefaultGateway"] = true,
            ["ipam"] = ipam,
        };
        if (o.Mtu is { } mtu)
        {
            bridge["mtu"] = mtu;
        }

        // CRI hands the sandbox's port mappings (hostPort) to plugins that declare the portMappings capability; portmap
        // DNATs the host port to the pod (also from the node's own loopback, with snat) in CNI-HOSTPORT-* chains.
        var portmap = new JsonObject
        {
            ["type"] = "portmap",
            ["capabilities"] = new JsonObject { ["portMappings"] = true },
            ["snat"] = true,
        };
        var conflist = new JsonObject
        {
            ["cniVersion"] = "0.4.0",
            ["name"] = "skiff-" + o.BridgeName,
            ["plugins"] = new JsonArray(bridge, portmap),
        };
        return conflist.ToJsonString(Indented);
    }

    /// <summary>A hosts.toml that sends pulls for <paramref name="registry"/> over plain HTTP.</summary>
    public static string PlainHttpHosts(string registry) => RegistryHosts.PlainHttp(registry);

    /// <summary>
    /// Rewrites the registry hosts directory from scratch: the registries file's mirrors and TLS settings, and plain HTTP for
    /// the local registry unless the file configures it. Other loopback registries need nothing: for a loopback host with a
    /// port and no hosts.toml, containerd 1.6.20 itself tries plain HTTP (measured by the image tests).
    /// </summary>
    private static void WriteRegistryHosts(ContainerdOptions options)
    {
        if (Directory.Exists(options.RegistryConfigDir))
        {
            Directory.Delete(options.RegistryConfigDir, recursive: true);
        }

        Directory.CreateDirectory(options.RegistryConfigDir);
        RegistryHosts.Write(options.RegistryConfigDir, RegistriesFile.Load(options.RegistriesFile));
        string local = Path.Combine(options.RegistryConfigDir, LocalRegistry);
        if (!Directory.Exists(local))
        {
            Directory.CreateDirectory(local);
            File.WriteAllText(Path.Combine(local, RegistryHosts.FileName), RegistryHosts.PlainHttp(LocalRegistry));
        }
    }

    private static void Line(StringBuilder sb, string key, string value) =>
        sb.AppendLine(CultureInfo.InvariantCulture, $"{key} = \"{Escape(value)}\"");

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}
