using k8s.Models;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// The machine and container runtime behind a Node, as <see cref="NodeRegistration"/> reports them: <see cref="CriNodeRuntime"/>
/// for a real node (CRI and /proc), a fake for the hollow-node simulation.
/// </summary>
public interface INodeRuntime
{
    /// <summary>nodeInfo.containerRuntimeVersion, such as <c>containerd://1.6.20</c>.</summary>
    Task<string> VersionAsync(CancellationToken cancellationToken);

    /// <summary>Why the runtime is not ready, in upstream's words (<c>container runtime is down</c>, …); empty when it is ready.</summary>
    Task<IReadOnlyList<string>> ReadinessErrorsAsync(CancellationToken cancellationToken);

    /// <summary>The machine's capacity (cpu, memory, ephemeral-storage) and what is free right now.</summary>
    NodeHostStats ReadHost();

    /// <summary>nodeInfo apart from the kubelet and runtime versions (kernel, OS image, machine and boot ids).</summary>
    V1NodeSystemInfo SystemInfo();
}
