namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>Upstream's InterPodAffinityArgs.</summary>
/// <param name="HardPodAffinityWeight">Score weight of existing pods' required affinity terms, 0–100 (default 1).</param>
public sealed record InterPodAffinityArgs(int HardPodAffinityWeight = 1);
