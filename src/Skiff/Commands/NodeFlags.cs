using System.CommandLine;
using System.Net;
using k8s.Models;
using Skiff.Agent.Kubelet;

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

    public IEnumerable<Option> All => [_nodeIp, _runtimeEndpoint, _registriesFile, _kubeletPort, _kubeReserved, _systemReserved, _evictionHard];

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
