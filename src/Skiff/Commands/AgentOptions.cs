using Skiff.Pki;

namespace Skiff.Commands;

/// <summary>Everything <c>skiff agent</c> was told on its command line, parsed and validated.</summary>
internal sealed record AgentOptions
{
    public required Uri Server { get; init; }

    public required JoinToken Token { get; init; }

    public required string DataDirectory { get; init; }

    public required string NodeName { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>The node agent's flags (node IP, runtime endpoint, kubelet port, reservations, eviction thresholds).</summary>
    public NodeSettings Node { get; init; } = new();
}
