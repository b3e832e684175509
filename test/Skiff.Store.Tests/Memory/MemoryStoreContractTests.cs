using Skiff.Store.Memory;

namespace Skiff.Store.Tests.Memory;

public sealed class MemoryStoreContractTests : StoreContractTests
{
    protected override Task<IRevisionedStore> CreateStoreAsync() => Task.FromResult<IRevisionedStore>(new MemoryStore(TimeProvider.System));
}
