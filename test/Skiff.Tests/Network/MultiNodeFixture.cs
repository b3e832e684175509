using System.Net;
using System.Runtime.Versioning;
using Skiff.TestKit.Network;

namespace Skiff.Tests.Network;

/// <summary>
/// One <see cref="NetnsCluster"/> (a server and three agents, each in its own network namespace on a test LAN) shared by every
/// network test class, because starting it (images, containerd, pause image, Nodes Ready) costs far more than any test.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class MultiNodeFixture : IAsyncLifetime
{
    /// <summary>A name only the upstream resolver outside the cluster knows.</summary>
    public const string ExternalName = "outside.skiff-test.example";

    /// <summary>What the upstream answers for <see cref="ExternalName"/> (TEST-NET-2, never routed).</summary>
    public static readonly IPAddress ExternalAddress = IPAddress.Parse("198.51.100.7");

    private NetnsCluster? _cluster;

    public NetnsCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster starts in InitializeAsync.");

    public async Task InitializeAsync() => _cluster = await NetnsCluster.StartAsync(
        new NetnsClusterOptions { NodeCount = 3, ExternalNames = new Dictionary<string, IPAddress> { [ExternalName] = ExternalAddress } },
        CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The network test classes share one cluster (and so run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeDefinition : ICollectionFixture<MultiNodeFixture>
{
    public const string Name = "multi-node cluster";
}
