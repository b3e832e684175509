using Skiff.Agent.Network;

namespace Skiff.Agent.NetworkPolicy;

/// <summary>What <see cref="NetworkPolicyAgent"/> enforces: the policies of pods on this node.</summary>
public sealed record NetworkPolicyOptions
{
    public required string NodeName { get; init; }

    /// <summary>The shortest time between two rule writes; changes in between are batched.</summary>
    public TimeSpan MinSyncPeriod { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often the agent re-checks, without any change, that its FORWARD jump is still first and its chains are written.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the network tools run (a test namespace, or <see cref="NetCommand.Host"/>).</summary>
    public NetCommand Command { get; init; } = NetCommand.Host;
}
