namespace Skiff.Agent.Proxy;

/// <summary>
/// A sync finished: its rules are in the kernel. <see cref="Changes"/> lists every object change the sync included, so a caller that
/// wrote an object can measure from its write to <see cref="Finished"/> (the network programming latency).
/// </summary>
public sealed class ProxySyncedEventArgs : EventArgs
{
    public required DateTimeOffset Started { get; init; }

    public required DateTimeOffset Finished { get; init; }

    /// <summary>Every chain was written (first sync, the periodic resync, or after a failure).</summary>
    public required bool Full { get; init; }

    /// <summary>Chains rewritten; chains deleted.</summary>
    public required int ChangedChains { get; init; }

    public required int DeletedChains { get; init; }

    /// <summary>Rules in the whole desired set (not just the rewritten chains).</summary>
    public required int RuleCount { get; init; }

    /// <summary>Service ports rendered by this sync: all of them on a full sync, else only those whose inputs changed.</summary>
    public int RenderedPorts { get; init; }

    public required IReadOnlyList<ProxyChange> Changes { get; init; }
}
