namespace Skiff.Agent.Hollow;

/// <summary>What the simulated nodes look like.</summary>
public sealed record HollowNodeOptions
{
    /// <summary>How many nodes: <c>&lt;prefix&gt;-0</c> … <c>&lt;prefix&gt;-(N-1)</c>.</summary>
    public int Count { get; init; } = 3;

    public string NamePrefix { get; init; } = "hollow";

    public string Cpu { get; init; } = "4";

    public string Memory { get; init; } = "16Gi";

    public string Pods { get; init; } = "110";

    /// <summary>Extra labels on every node (e.g. a zone); each node also gets kubernetes.io/hostname and the hollow label.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>How often each node's Lease is renewed (the kubelet's 10 s).</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many API requests the simulation keeps in flight at once.</summary>
    public int Concurrency { get; init; } = 16;
}
