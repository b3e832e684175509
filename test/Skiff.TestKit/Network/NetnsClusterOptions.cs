using System.Net;

namespace Skiff.TestKit.Network;

/// <summary>How <see cref="NetnsCluster.StartAsync"/> builds the cluster; every default suits the network tests.</summary>
public sealed record NetnsClusterOptions
{
    /// <summary>How many <c>skiff agent</c> nodes join (each in its own namespace).</summary>
    public int NodeCount { get; init; } = 2;

    /// <summary>The names the upstream resolver (outside the cluster, on the LAN) answers, with their A records.</summary>
    public IReadOnlyDictionary<string, IPAddress> ExternalNames { get; init; } = new Dictionary<string, IPAddress>();

    /// <summary>The images <c>scripts/images.sh</c> builds into the LAN registry (skiff/NAME:1).</summary>
    public string Images { get; init; } = "httpd shell";

    /// <summary>Arguments added to <c>skiff server</c>.</summary>
    public IReadOnlyList<string> ServerArguments { get; init; } = [];

    /// <summary>Arguments added to every <c>skiff agent</c>.</summary>
    public IReadOnlyList<string> AgentArguments { get; init; } = [];

    /// <summary>How long the whole start may take (server, images, every Node Ready).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(4);
}
