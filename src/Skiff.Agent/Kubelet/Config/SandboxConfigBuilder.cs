using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>Turns a pod into the CRI PodSandboxConfig: metadata, hostname, log directory, labels and the pod cgroup parent.</summary>
public static class SandboxConfigBuilder
{
    /// <summary>The sandbox of <paramref name="pod"/> (attempt <paramref name="attempt"/>) under the cgroup <paramref name="cgroupParent"/> ("" for the runtime's default).</summary>
    public static PodSandboxConfig Build(V1Pod pod, KubeletOptions options, string cgroupParent, uint attempt = 0)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        string name = pod.Metadata.Name;
        string uid = pod.Metadata.Uid;
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid, Attempt = attempt },
            Hostname = pod.Spec.Hostname ?? name,
            LogDirectory = LogDirectory(pod, options),
            Labels = { ["io.kubernetes.pod.name"] = name, ["io.kubernetes.pod.namespace"] = ns, ["io.kubernetes.pod.uid"] = uid },
            Linux = new LinuxPodSandboxConfig { CgroupParent = cgroupParent },
        };
    }

    /// <summary><c>&lt;data dir&gt;/pods/&lt;ns&gt;_&lt;name&gt;_&lt;uid&gt;</c>: the pod's container logs live below it.</summary>
    public static string LogDirectory(V1Pod pod, KubeletOptions options)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.PodLogDir, $"{pod.Metadata.NamespaceProperty ?? "default"}_{pod.Metadata.Name}_{pod.Metadata.Uid}");
    }
}
