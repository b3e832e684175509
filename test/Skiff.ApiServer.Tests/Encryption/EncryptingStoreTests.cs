using System.Text;
using System.Text.Json.Nodes;
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

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
