using System.CommandLine;
using System.Net;
using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Network;

namespace Skiff.Commands;

/// <summary>The node agent's flags (<see cref="NodeSettings"/>), added to both <c>skiff server</c> and <c>skiff agent</c>.</summary>
internal sealed class NodeFlags
{
    private readonly Option<IPAddress?> _nodeIp = new("--node-ip")
    {
        Description = "The node's InternalIP address (default: the machine's first non-loopback IPv4 address).",
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (IPAddress.TryParse(text, out IPAddress? address))
            {
                return address;
            }

            result.AddError($"--node-ip \"{text}\" is not an IP address, such as 192.168.1.10");
            return null;
        },
    };

    private readonly Option<string?> _runtimeEndpoint = new("--container-runtime-endpoint")
    {
        Description = "Use this CRI socket (unix:///path or /path) instead of starting containerd.",
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            string path = text.StartsWith("unix://", StringComparison.Ordinal) ? text["unix://".Length..] : text;
            if (!Path.IsPathRooted(path))
            {
                result.AddError($"--container-runtime-endpoint \"{text}\" is not a unix socket path, such as unix:///run/containerd/containerd.sock");
            }

            return path;
        },
    };

    private readonly Option<string?> _registriesFile = new("--registries-file")
    {
        Description = "A registries.yaml file with registry mirrors and credentials for image pulls.",
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (!File.Exists(text))
            {
                result.AddError($"--registries-file \"{text}\" does not exist");
            }

            return Path.GetFullPath(text);
        },
    };

    private readonly Option<int> _kubeletPort = OptionParsers.Port("--kubelet-port", "The kubelet's HTTPS port (logs, exec, port-forward).", 10250);

    private readonly Option<IReadOnlyDictionary<string, ResourceQuantity>> _kubeReserved = Reservation(
        "--kube-reserved", "Resources kept for the Kubernetes daemons, such as cpu=100m,memory=256Mi; subtracted from allocatable.");

    private readonly Option<IReadOnlyDictionary<string, ResourceQuantity>> _systemReserved = Reservation(
        "--system-reserved", "Resources kept for the operating system, such as cpu=100m,memory=256Mi; subtracted from allocatable.");

    private readonly Option<EvictionThresholds> _evictionHard = new("--eviction-hard")
    {
        Description = "Hard eviction thresholds; they are subtracted from allocatable and set the pressure conditions.",
        DefaultValueFactory = _ => EvictionThresholds.Default,
        CustomParser = result =>
        {
            try
            {
                return EvictionThresholds.Parse(result.Tokens[0].Value);
            }
            catch (FormatException e)
            {
                result.AddError($"--eviction-hard: {e.Message}");
                return EvictionThresholds.Default;
            }
        },
    };

    private readonly Option<PodNetworkBackend> _flannelBackend = new("--flannel-backend")
    {
        Description = "How pod subnets of different nodes are joined: auto (routes on a shared segment, else VXLAN), host-gw, vxlan or none.",
        DefaultValueFactory = _ => PodNetworkBackend.Auto,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            switch (text)
            {
                case "auto": return PodNetworkBackend.Auto;
                case "host-gw": return PodNetworkBackend.HostGw;
                case "vxlan": return PodNetworkBackend.Vxlan;
                case "none": return PodNetworkBackend.None;
                default:
                    result.AddError($"--flannel-backend \"{text}\" is not one of auto, host-gw, vxlan, none");
                    return PodNetworkBackend.Auto;
            }
        },
    };

    private readonly Option<bool> _disableKubeProxy = new("--disable-kube-proxy") { Description = "Do not program Service rules (iptables) on this node." };

    private readonly Option<bool> _disableNetworkPolicy = new("--disable-network-policy") { Description = "Do not enforce NetworkPolicy on this node." };

    private readonly Option<bool> _disableClusterDns = new("--disable-cluster-dns") { Description = "Do not serve cluster DNS on this node." };

    private readonly Option<string> _resolvConf = new("--resolv-conf")
    {
        Description = "The resolver file for pods with dnsPolicy Default; the cluster DNS forwards other names to its nameservers.",
        DefaultValueFactory = _ => "/etc/resolv.conf",
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (!File.Exists(text))
            {
                result.AddError($"--resolv-conf \"{text}\" does not exist");
            }

            return Path.GetFullPath(text);
        },
    };

    public IEnumerable<Option> All =>
    [
        _nodeIp, _runtimeEndpoint, _registriesFile, _kubeletPort, _kubeReserved, _systemReserved, _evictionHard,
        _flannelBackend, _disableKubeProxy, _disableNetworkPolicy, _disableClusterDns, _resolvConf,
    ];

    public NodeSettings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new NodeSettings
        {
            NodeIp = parseResult.GetValue(_nodeIp),
            ContainerRuntimeEndpoint = parseResult.GetValue(_runtimeEndpoint),
            RegistriesFile = parseResult.GetValue(_registriesFile),
            KubeletPort = parseResult.GetValue(_kubeletPort),
            KubeReserved = OptionParsers.Value(parseResult, _kubeReserved),
            SystemReserved = OptionParsers.Value(parseResult, _systemReserved),
            EvictionHard = OptionParsers.Value(parseResult, _evictionHard),
            FlannelBackend = parseResult.GetValue(_flannelBackend),
            DisableKubeProxy = parseResult.GetValue(_disableKubeProxy),
            DisableNetworkPolicy = parseResult.GetValue(_disableNetworkPolicy),
            DisableClusterDns = parseResult.GetValue(_disableClusterDns),
            ResolvConf = OptionParsers.Value(parseResult, _resolvConf),
        };
    }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (Option option in All)
        {
            command.Options.Add(option);
        }
    }

    private static Option<IReadOnlyDictionary<string, ResourceQuantity>> Reservation(string name, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => new Dictionary<string, ResourceQuantity>(),
        CustomParser = result =>
        {
            try
            {
                return ResourceReservations.ParseReservation(result.Tokens[0].Value);
            }
            catch (FormatException e)
            {
                result.AddError($"{name}: {e.Message}");
                return new Dictionary<string, ResourceQuantity>();
            }
        },
    };
}
