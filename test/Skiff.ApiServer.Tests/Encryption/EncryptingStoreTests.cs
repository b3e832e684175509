using System.Text;
using System.Text.Json.Nodes;
using Skiff.ApiServer.Encryption;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Tests.Encryption;

public sealed class EncryptingStoreTests
{
    private const string Password = "hunter2-correct-horse-battery";
    private static readonly string s_key1 = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string s_key2 = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    [Theory]
    [InlineData("aescbc")]
    [InlineData("aesgcm")]
    public async Task CreateAsync_SecretUnderAesProvider_FileHoldsOnlyCiphertextAndReadsBack(string provider)
    {
        await using EncryptionHarness harness = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes(provider, ("key1", s_key1))));

        await harness.CreateSecretAsync("db", Password);

        byte[] file = harness.FileBytes();
        Assert.False(Contains(file, Password), "the password is in the SQLite file in plaintext");
        Assert.False(Contains(file, Convert.ToBase64String(Encoding.UTF8.GetBytes(Password))), "the password's base64 is in the SQLite file");
        Assert.True(Contains(file, $"k8s:enc:{provider}:v1:key1:"), "the stored value does not carry the provider's prefix");
        KeyValue raw = (await harness.Raw.GetAsync("/core/secrets/demo/db", 0, CancellationToken.None))!;
        Assert.StartsWith($"k8s:enc:{provider}:v1:key1:", Encoding.ASCII.GetString(raw.Value.Span[..24]), StringComparison.Ordinal);
        JsonObject read = await harness.Registry.GetAsync(harness.Secrets, "demo", "db", CancellationToken.None);
        Assert.Equal(Password, Encoding.UTF8.GetString(Convert.FromBase64String(read["data"]!["password"]!.GetValue<string>())));
    }

    [Fact]
    public async Task ListAndWatch_EncryptedSecrets_SeePlaintext()
    {
        await using EncryptionHarness harness = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1))));
        long start = await harness.Store.GetCurrentRevisionAsync(CancellationToken.None);

        await harness.CreateSecretAsync("one", Password);

        ListResult list = await harness.Store.ListAsync("/core/secrets/", new ListOptions(), CancellationToken.None);
        Assert.Contains(Password, Encoding.UTF8.GetString(Convert.FromBase64String(JsonNode.Parse(list.Items.Single().Value.Span)!["data"]!["password"]!.GetValue<string>())), StringComparison.Ordinal);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (WatchEvent change in harness.Store.WatchAsync("/core/secrets/", start, timeout.Token))
        {
            Assert.Equal(WatchEventType.Created, change.Type);
            Assert.Equal("one", JsonNode.Parse(change.Current.Value.Span)!["metadata"]!["name"]!.GetValue<string>());
            break;
        }
    }

    [Fact]
    public async Task CreateAsync_ResourceNoRuleNames_StaysPlaintext()
    {
        await using EncryptionHarness harness = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1))));

        await harness.EnsureNamespaceAsync();
        await harness.Registry.CreateAsync(
            harness.ConfigMaps, "demo", JsonNode.Parse("""{"metadata":{"name":"plain"},"data":{"a":"visible"}}""")!.AsObject(),
            new Skiff.ApiServer.Registry.WriteRequest("t", Skiff.ApiServer.Registry.FieldValidation.Strict, false), CancellationToken.None);

        KeyValue raw = (await harness.Raw.GetAsync("/core/configmaps/demo/plain", 0, CancellationToken.None))!;
        Assert.Equal((byte)'{', raw.Value.Span[0]);
    }

    [Fact]
    public async Task StartupRewrite_Key2FirstKey1Second_EverySecretCarriesKey2AndReadsBack()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)))))
        {
            directory = first.Directory;
            for (int i = 0; i < 5; i++)
            {
                await first.CreateSecretAsync($"s{i}", Password + i);
            }
        }

        await using EncryptionHarness second = EncryptionHarness.Open(
            EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key2", s_key2), ("key1", s_key1))), directory);
        (int rewritten, int unreadable) = await second.RunStartupRewriteAsync();

        Assert.Equal((5, 0), (rewritten, unreadable));
        ListResult raw = await second.Raw.ListAsync("/core/secrets/", new ListOptions(), CancellationToken.None);
        Assert.Equal(5, raw.Items.Count);
        Assert.All(raw.Items, item => Assert.StartsWith("k8s:enc:aescbc:v1:key2:", Encoding.ASCII.GetString(item.Value.Span[..23]), StringComparison.Ordinal));
        for (int i = 0; i < 5; i++)
        {
            JsonObject read = await second.Registry.GetAsync(second.Secrets, "demo", $"s{i}", CancellationToken.None);
            Assert.Equal(Password + i, Encoding.UTF8.GetString(Convert.FromBase64String(read["data"]!["password"]!.GetValue<string>())));
        }
    }

    [Fact]
    public async Task StartupRewrite_IdentityFirst_StoresPlaintextAgain()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aesgcm", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("db", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(
            EncryptionHarness.Configuration("identity: {}", EncryptionHarness.Aes("aesgcm", ("key1", s_key1))), directory);
        (int rewritten, _) = await second.RunStartupRewriteAsync();

        Assert.Equal(1, rewritten);
        KeyValue raw = (await second.Raw.GetAsync("/core/secrets/demo/db", 0, CancellationToken.None))!;
        Assert.Equal((byte)'{', raw.Value.Span[0]);
        JsonObject read = await second.Registry.GetAsync(second.Secrets, "demo", "db", CancellationToken.None);
        Assert.Equal(Password, Encoding.UTF8.GetString(Convert.FromBase64String(read["data"]!["password"]!.GetValue<string>())));
    }

    [Fact]
    public async Task StartupRewrite_PlaintextSecretsWithIdentityLast_EncryptsThem()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(null))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("old", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(
            EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)), "identity: {}"), directory);
        (int rewritten, _) = await second.RunStartupRewriteAsync();

        Assert.Equal(1, rewritten);
        KeyValue raw = (await second.Raw.GetAsync("/core/secrets/demo/old", 0, CancellationToken.None))!;
        Assert.StartsWith("k8s:enc:aescbc:v1:key1:", Encoding.ASCII.GetString(raw.Value.Span[..23]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_KeyMissingFromConfiguration_RefusesNamingTheKey()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("db", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key2", s_key2))), directory);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => second.Registry.GetAsync(second.Secrets, "demo", "db", CancellationToken.None));
        Assert.Equal(500, error.Status.Code);
        Assert.Contains("/core/secrets/demo/db", error.Status.Message, StringComparison.Ordinal);
        Assert.Contains("k8s:enc:aescbc:v1:key1:", error.Status.Message, StringComparison.Ordinal);
        ListResult list = await second.Store.ListAsync("/core/secrets/", new ListOptions(), CancellationToken.None);
        Assert.Empty(list.Items);
    }

    [Fact]
    public async Task GetAsync_SameKeyNameWithAnotherSecret_RefusesInsteadOfGarbage()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aesgcm", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("db", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aesgcm", ("key1", s_key2))), directory);

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => second.Registry.GetAsync(second.Secrets, "demo", "db", CancellationToken.None));
        Assert.Contains("does not decrypt", error.Status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAsync_PreviousValueUnderRemovedKey_StillDeliversUpdateAndDelete()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("repaired", Password);
            await first.CreateSecretAsync("gone", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key2", s_key2))), directory);
        long start = await second.Store.GetCurrentRevisionAsync(CancellationToken.None);
        KeyValue repaired = (await second.Raw.GetAsync("/core/secrets/demo/repaired", 0, CancellationToken.None))!;
        KeyValue gone = (await second.Raw.GetAsync("/core/secrets/demo/gone", 0, CancellationToken.None))!;

        // What a kubectl replace (a new value under the current key) and a kubectl delete store.
        byte[] replacement = Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"repaired","namespace":"demo"},"data":{"password":"bmV3"}}""");
        Assert.True((await second.Store.UpdateAsync(repaired.Key, replacement, repaired.ModRevision, null, CancellationToken.None)).Succeeded);
        Assert.True((await second.Store.DeleteAsync(gone.Key, gone.ModRevision, CancellationToken.None)).Succeeded);

        var seen = new List<WatchEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (WatchEvent change in second.Store.WatchAsync("/core/secrets/", start, timeout.Token))
        {
            seen.Add(change);
            if (seen.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(WatchEventType.Updated, seen[0].Type);
        Assert.Equal(repaired.Key, seen[0].Current.Key);
        Assert.Null(seen[0].Previous);
        Assert.Equal("bmV3", JsonNode.Parse(seen[0].Current.Value.Span)!["data"]!["password"]!.GetValue<string>());
        Assert.Equal(WatchEventType.Deleted, seen[1].Type);
        Assert.Equal(gone.Key, seen[1].Current.Key);
    }

    [Fact]
    public async Task WatchCache_SecretRewrittenAfterItsKeyWasRemoved_IsCachedWithoutRelist()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("repaired", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key2", s_key2))), directory);
        await second.RunStartupRewriteAsync();
        Assert.Null(second.Cache.Bucket(second.Secrets).Get("/core/secrets/demo/repaired"));
        KeyValue stale = (await second.Raw.GetAsync("/core/secrets/demo/repaired", 0, CancellationToken.None))!;

        byte[] replacement = Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"repaired","namespace":"demo"},"data":{"password":"bmV3"}}""");
        Assert.True((await second.Store.UpdateAsync(stale.Key, replacement, stale.ModRevision, null, CancellationToken.None)).Succeeded);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await second.Cache.SyncAsync(timeout.Token);

        Assert.NotNull(second.Cache.Bucket(second.Secrets).Get("/core/secrets/demo/repaired"));
    }

    [Fact]
    public async Task StartupRewrite_WriteBetweenListAndSwap_KeepsTheNewerWrite()
    {
        string directory;
        await using (EncryptionHarness first = EncryptionHarness.Open(EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key1", s_key1)))))
        {
            directory = first.Directory;
            await first.CreateSecretAsync("db", Password);
        }

        await using EncryptionHarness second = EncryptionHarness.Open(
            EncryptionHarness.Configuration(EncryptionHarness.Aes("aescbc", ("key2", s_key2), ("key1", s_key1))), directory);
        await second.StartCacheAsync();
        const string Key = "/core/secrets/demo/db";
        byte[] newer = Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"demo"},"data":{"password":"bmV3ZXI="}}""");

        // A client's update lands after the rewrite listed the key1 value and before it swaps in its re-encrypted copy.
        var racing = new WriteAfterListStore(second.Raw, async () =>
        {
            KeyValue listed = (await second.Store.GetAsync(Key, 0, CancellationToken.None))!;
            Assert.True((await second.Store.UpdateAsync(Key, newer, listed.ModRevision, null, CancellationToken.None)).Succeeded);
        });
        using var rewrite = new EncryptionRewriteService(
            racing, second.Get<EncryptionAtRest>(), second.Cache, Microsoft.Extensions.Logging.Abstractions.NullLogger<EncryptionRewriteService>.Instance);
        await rewrite.StartAsync(CancellationToken.None);
        (int rewritten, int unreadable) = await rewrite.Completed.WaitAsync(TimeSpan.FromSeconds(30));
        await rewrite.StopAsync(CancellationToken.None);

        Assert.Equal((0, 0), (rewritten, unreadable));
        KeyValue stored = (await second.Store.GetAsync(Key, 0, CancellationToken.None))!;
        Assert.Equal("bmV3ZXI=", JsonNode.Parse(stored.Value.Span)!["data"]!["password"]!.GetValue<string>());
        KeyValue raw = (await second.Raw.GetAsync(Key, 0, CancellationToken.None))!;
        Assert.StartsWith("k8s:enc:aescbc:v1:key2:", Encoding.ASCII.GetString(raw.Value.Span[..23]), StringComparison.Ordinal);
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
