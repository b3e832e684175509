namespace Skiff.Store.Tests.Etcd;

[Collection(EtcdGroup.Name)]
public sealed class EtcdStoreContractTests(EtcdFixture fixture) : StoreContractTests
{
    protected override Task<IRevisionedStore> CreateStoreAsync() => Task.FromResult(fixture.CreateStore());
}
