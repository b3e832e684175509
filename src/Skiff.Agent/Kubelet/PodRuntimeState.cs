using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

/// <summary>What the kubelet knows about one pod's runtime state, as the relist saw it.</summary>
/// <param name="PodIp">The sandbox's IP, or null while there is no ready sandbox.</param>
/// <param name="Containers">The newest CRI status of each container (init and regular), by container name.</param>
/// <param name="Waiting">Why a container has no running container (ErrImagePull, CrashLoopBackOff and its message), by container name.</param>
internal sealed record PodRuntimeState(
    string? PodIp,
    IReadOnlyDictionary<string, ContainerStatus> Containers,
    IReadOnlyDictionary<string, (string Reason, string Message)> Waiting)
{
    /// <summary>Whether the sandbox is ready (its network is set up).</summary>
    public bool SandboxReady { get; init; }

    /// <summary>The CRI status of the run before the newest one, by container name (lastState).</summary>
    public IReadOnlyDictionary<string, ContainerStatus> Previous { get; init; } = new Dictionary<string, ContainerStatus>();

    /// <summary>Termination messages of exited containers, by container id.</summary>
    public IReadOnlyDictionary<string, string> TerminationMessages { get; init; } = new Dictionary<string, string>();

    /// <summary>Ids of running containers whose readiness probe succeeds (or which have none) and that have started.</summary>
    public IReadOnlySet<string> Ready { get; init; } = new HashSet<string>();

    /// <summary>Ids of running containers that have started (startup probe succeeded, or none).</summary>
    public IReadOnlySet<string> Started { get; init; } = new HashSet<string>();

    /// <summary>Whether the pod reached a terminal phase (Succeeded or Failed) and must not go back.</summary>
    public string? TerminalPhase { get; init; }
}
