using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// Turns a pod into the CRI PodSandboxConfig: metadata, hostname, log directory, labels and annotations, the pod cgroup
/// parent, DNS (see <see cref="PodDns"/>), a port mapping per container port with a hostPort, sysctls, and the sandbox's
/// security context and host namespaces.
/// </summary>
public static class SandboxConfigBuilder
{
    private const int MaxHostnameLength = 63;

    /// <summary>The sandbox of <paramref name="pod"/> (attempt <paramref name="attempt"/>) under the cgroup <paramref name="cgroupParent"/> ("" for the runtime's default).</summary>
    public static PodSandboxConfig Build(V1Pod pod, KubeletOptions options, string cgroupParent, uint attempt = 0)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        string name = pod.Metadata.Name;
        string uid = pod.Metadata.Uid;
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid, Attempt = attempt },
            Hostname = Hostname(pod),
            LogDirectory = LogDirectory(pod, options),
            Labels = { ["io.kubernetes.pod.name"] = name, ["io.kubernetes.pod.namespace"] = ns, ["io.kubernetes.pod.uid"] = uid },
            DnsConfig = PodDns.Build(pod, options),
            Linux = new LinuxPodSandboxConfig { CgroupParent = cgroupParent, SecurityContext = SecurityContexts.Sandbox(pod) },
        };
        foreach ((string key, string value) in pod.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            config.Annotations[key] = value;
        }

        foreach (V1Sysctl sysctl in pod.Spec?.SecurityContext?.Sysctls ?? [])
        {
            config.Linux.Sysctls[sysctl.Name] = sysctl.Value;
        }

        config.PortMappings.AddRange(PortMappings(pod));
        return config;
    }

    /// <summary>One mapping per container port that asks for a hostPort (TCP unless told, on hostIP or every address).</summary>
    public static IEnumerable<PortMapping> PortMappings(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            foreach (V1ContainerPort port in container.Ports ?? [])
            {
                if (port.HostPort is not > 0)
                {
                    continue;
                }

                yield return new PortMapping
                {
                    Protocol = port.Protocol switch { "UDP" => Protocol.Udp, "SCTP" => Protocol.Sctp, _ => Protocol.Tcp },
                    ContainerPort = port.ContainerPort,
                    HostPort = port.HostPort.Value,
                    HostIp = port.HostIP ?? "",
                };
            }
        }
    }

    /// <summary>spec.hostname or the pod's name, cut to 63 characters without a trailing '-' or '.'.</summary>
    public static string Hostname(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string hostname = string.IsNullOrEmpty(pod.Spec?.Hostname) ? pod.Metadata.Name : pod.Spec.Hostname;
        return hostname.Length <= MaxHostnameLength ? hostname : hostname[..MaxHostnameLength].TrimEnd('-', '.');
    }

    /// <summary><c>&lt;data dir&gt;/pods/&lt;ns&gt;_&lt;name&gt;_&lt;uid&gt;</c>: the pod's container logs live below it.</summary>
    public static string LogDirectory(V1Pod pod, KubeletOptions options)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.PodLogDir, $"{pod.Metadata.NamespaceProperty ?? "default"}_{pod.Metadata.Name}_{pod.Metadata.Uid}");
    }
}
