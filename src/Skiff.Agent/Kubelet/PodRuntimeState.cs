using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

/// <summary>What the kubelet knows about one pod's runtime state, as the relist saw it.</summary>
/// <param name="PodIp">The sandbox's IP, or null while there is no ready sandbox.</param>
/// <param name="Containers">The newest CRI status of each container, by container name.</param>
/// <param name="Waiting">Why a container has no runtime container (ErrImagePull and its message), by container name.</param>
internal sealed record PodRuntimeState(
    string? PodIp,
    IReadOnlyDictionary<string, ContainerStatus> Containers,
    IReadOnlyDictionary<string, (string Reason, string Message)> Waiting);
