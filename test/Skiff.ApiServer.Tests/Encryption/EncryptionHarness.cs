using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Encryption;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.Tests.Encryption;

/// <summary>
/// The API server's registry over a real SQLite file in a temporary directory, with an EncryptionConfiguration; reopening
/// the same directory with another configuration is a server restart.
/// </summary>
internal sealed class EncryptionHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _started;

    private EncryptionHarness(string directory, string? configuration)
    {
        Directory = directory;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSkiffStore(o => o.Endpoint = Path.Combine(directory, "state.db"));
        services.AddSkiffApiServer(o => o.EncryptionConfiguration = configuration is null ? null : EncryptionConfiguration.Parse(configuration));
        _provider = services.BuildServiceProvider();
        Registry = _provider.GetRequiredService<ObjectRegistry>();
        Store = _provider.GetRequiredService<IRevisionedStore>();
        Raw = _provider.GetRequiredKeyedService<IRevisionedStore>(ApiServerServiceCollectionExtensions.UninstrumentedStoreKey);
        Secrets = _provider.GetRequiredService<ResourceCatalog>().Find(string.Empty, "v1", "secrets")!;
        ConfigMaps = _provider.GetRequiredService<ResourceCatalog>().Find(string.Empty, "v1", "configmaps")!;
    }

    public string Directory { get; }

    public ObjectRegistry Registry { get; }

    /// <summary>The store as the API server uses it (through encryption).</summary>
    public IRevisionedStore Store { get; }

    /// <summary>The SQLite store underneath: what is on disk.</summary>
    public IRevisionedStore Raw { get; }

    public ResourceInfo Secrets { get; }

    /// <summary>The API server's watch cache (started by <see cref="RunStartupRewriteAsync"/>).</summary>
    public ApiWatchCache Cache => _provider.GetRequiredService<ApiWatchCache>();

    public ResourceInfo ConfigMaps { get; }

    public static EncryptionHarness Open(string? configuration, string? directory = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("skiff-encryption-").FullName;
        return new EncryptionHarness(directory, configuration);
    }

    /// <summary>A configuration with one rule for secrets and the given providers (YAML list items).</summary>
    public static string Configuration(params string[] providers) =>
        "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n"
        + string.Concat(providers.Select(p => "  - " + p.Replace("\n", "\n    ", StringComparison.Ordinal) + "\n"));

    public static string Aes(string type, params (string Name, string Secret)[] keys) =>
        $"{type}:\n  keys:\n" + string.Concat(keys.Select(k => $"  - name: {k.Name}\n    secret: {k.Secret}\n"));

    public async Task<JsonObject> CreateSecretAsync(string name, string value)
    {
        await EnsureNamespaceAsync();
        return await Registry.CreateAsync(
            Secrets,
            "demo",
            JsonNode.Parse($$$"""{"metadata":{"name":"{{{name}}}"},"data":{"password":"{{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value))}}}"}}""")!.AsObject(),
            new WriteRequest("encryption-tests", FieldValidation.Strict, DryRun: false),
            CancellationToken.None);
    }

    /// <summary>Creates the <c>demo</c> namespace unless it exists (objects need their namespace).</summary>
    public async Task EnsureNamespaceAsync()
    {
        ResourceInfo namespaces = _provider.GetRequiredService<ResourceCatalog>().Find(string.Empty, "v1", "namespaces")!;
        if (await Store.GetAsync("/core/namespaces/demo", 0, CancellationToken.None) is null)
        {
            await Registry.CreateAsync(
                namespaces, null, JsonNode.Parse("""{"metadata":{"name":"demo"}}""")!.AsObject(), new WriteRequest("encryption-tests", FieldValidation.Strict, DryRun: false), CancellationToken.None);
        }
    }

    /// <summary>A service of the composed API server.</summary>
    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>Starts only the watch cache (for a rewrite service a test composes itself).</summary>
    public async Task StartCacheAsync()
    {
        _started = true;
        await _provider.GetRequiredService<ApiWatchCache>().StartAsync(CancellationToken.None);
        await _provider.GetRequiredService<ApiWatchCache>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Every byte of the data directory's files (the database, its WAL and shared memory).</summary>
    public byte[] FileBytes() =>
        [.. System.IO.Directory.GetFiles(Directory).SelectMany(f => File.ReadAllBytes(f))];

    /// <summary>Starts the watch cache and the startup rewrite, as the server does, and waits for the rewrite's counts.</summary>
    public async Task<(int Rewritten, int Unreadable)> RunStartupRewriteAsync()
    {
        _started = true;
        await _provider.GetRequiredService<ApiWatchCache>().StartAsync(CancellationToken.None);
        EncryptionRewriteService rewrite = _provider.GetRequiredService<EncryptionRewriteService>();
        await rewrite.StartAsync(CancellationToken.None);
        return await rewrite.Completed.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _provider.GetRequiredService<EncryptionRewriteService>().StopAsync(CancellationToken.None);
            await _provider.GetRequiredService<ApiWatchCache>().StopAsync(CancellationToken.None);
        }

        await _provider.DisposeAsync();
    }
}
