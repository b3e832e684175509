namespace Skiff.Store.Tests.Etcd;

/// <summary>
/// Every test that uses etcd joins this collection: it shares one etcd process, and the tests run one at a time because
/// contract tests count on consecutive revisions, which a concurrent writer to the same etcd would break.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EtcdGroup : ICollectionFixture<EtcdFixture>
{
    public const string Name = "etcd";
}
