using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Store.Sqlite;

namespace Skiff.Store.Tests.Sqlite;

public sealed class SqliteStoreContractTests : StoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override Task<IRevisionedStore> CreateStoreAsync() =>
        Task.FromResult<IRevisionedStore>(SqliteStore.Open(_directory.File("state.db"), TimeProvider.System, NullLogger<SqliteStore>.Instance));

    public void Dispose() => _directory.Dispose();
}
