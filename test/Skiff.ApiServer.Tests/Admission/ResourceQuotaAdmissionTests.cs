using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission;

public sealed class ResourceQuotaAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    private ResourceInfo Quotas => _harness.Resource(string.Empty, "v1", "resourcequotas");

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreatePod_QuotaUsedUp_IsForbiddenWithUpstreamText()
    {
        await CreateQuotaAsync("q", """{"pods":"2"}""", """{"pods":"2"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("third", string.Empty));

        Assert.Equal(403, error.Code);
        Assert.Equal("Forbidden", error.Reason);
        Assert.Equal("pods \"third\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2", error.Message);
        await Assert.ThrowsAsync<StatusException>(() => _harness.GetAsync(_harness.Pods, "demo", "third"));
    }

    [Fact]
    public async Task CreatePod_UnderQuota_ChargesStatusUsed()
    {
        await CreateQuotaAsync("q", """{"pods":"2","requests.cpu":"1","limits.memory":"1Gi"}""", """{"pods":"0","requests.cpu":"200m","limits.memory":"0"}""");

        await CreatePodAsync("web", ""","resources":{"requests":{"cpu":"300m"},"limits":{"memory":"256Mi"}}""");

        JsonObject quota = await _harness.GetAsync(Quotas, "demo", "q");
        JsonObject used = quota["status"]!["used"]!.AsObject();
        Assert.Equal("1", used["pods"]!.GetValue<string>());
        Assert.Equal("500m", used["requests.cpu"]!.GetValue<string>());
        Assert.Equal("256Mi", used["limits.memory"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_CpuOverQuota_NamesOnlyTheExceededResource()
    {
        await CreateQuotaAsync("compute", """{"pods":"10","requests.cpu":"1"}""", """{"pods":"1","requests.cpu":"800m"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            CreatePodAsync("big", ""","resources":{"requests":{"cpu":"500m"}}"""));

        Assert.Equal("pods \"big\" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=800m, limited: requests.cpu=1", error.Message);
    }

    [Fact]
    public async Task CreatePod_UsageNotCountedYet_IsForbiddenAsStatusUnknown()
    {
        await CreateQuotaAsync("q", """{"pods":"5","configmaps":"3"}""", """{"configmaps":"0"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("early", string.Empty));

        Assert.Equal("pods \"early\" is forbidden: status unknown for quota: q, resources: pods", error.Message);
    }

    [Fact]
    public async Task CreatePod_QuotaWithoutStatus_IsNotBoundYet()
    {
        await _harness.CreateAsync(Quotas, "demo", """{"metadata":{"name":"fresh"},"spec":{"hard":{"pods":"0"}}}""");

        JsonObject pod = await CreatePodAsync("web", string.Empty);

        Assert.Equal("web", pod["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_CpuQuotaAndNoRequests_MustSpecifyPerContainer()
    {
        await CreateQuotaAsync("compute", """{"requests.cpu":"2","limits.memory":"2Gi"}""", """{"requests.cpu":"0","limits.memory":"0"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("bare", string.Empty));

        Assert.Equal(403, error.Code);
        Assert.Equal("pods \"bare\" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app", error.Message);
    }

    [Fact]
    public async Task CreateConfigMap_CountQuotaUsedUp_IsForbidden()
    {
        await CreateQuotaAsync("objects", """{"count/configmaps":"1"}""", """{"count/configmaps":"1"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(_harness.ConfigMaps, "demo", """{"metadata":{"name":"extra"}}"""));

        Assert.Equal("configmaps \"extra\" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1", error.Message);
    }

    [Fact]
    public async Task CreateService_NodePortQuota_CountsItsPorts()
    {
        await CreateQuotaAsync("ports", """{"services.nodeports":"1"}""", """{"services.nodeports":"0"}""");

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.CreateAsync(_harness.Services, "demo", """
            {"metadata":{"name":"two"},"spec":{"type":"NodePort","selector":{"app":"x"},"ports":[{"name":"a","port":80},{"name":"b","port":81}]}}
            """));

        Assert.Equal("services \"two\" is forbidden: exceeded quota: ports, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1", error.Message);
    }

    [Fact]
    public async Task CreatePod_DryRun_ChargesNothing()
    {
        await CreateQuotaAsync("q", """{"pods":"1"}""", """{"pods":"0"}""");

        await _harness.CreateAsync(_harness.Pods, "demo", Pod("dry", string.Empty), dryRun: true);

        JsonObject quota = await _harness.GetAsync(Quotas, "demo", "q");
        Assert.Equal("0", quota["status"]!["used"]!["pods"]!.GetValue<string>());
        await CreatePodAsync("real", string.Empty);
    }

    [Fact]
    public async Task CreatePod_ConcurrentCreatesAgainstQuotaOfOne_OnlyOneWins()
    {
        await CreateQuotaAsync("one", """{"pods":"1"}""", """{"pods":"0"}""");

        Task<JsonObject>[] creates = [.. Enumerable.Range(0, 8).Select(i => Task.Run(() => CreatePodAsync($"racer-{i}", string.Empty)))];
        Task all = Task.WhenAll(creates);
        try
        {
            await all;
        }
        catch (StatusException)
        {
            // Inspected per task below.
        }

        int won = creates.Count(t => t.IsCompletedSuccessfully);
        Assert.Equal(1, won);
        foreach (Task<JsonObject> lost in creates.Where(t => !t.IsCompletedSuccessfully))
        {
            StatusException error = Assert.IsType<StatusException>(lost.Exception!.InnerException);
            Assert.Contains("exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1", error.Message, StringComparison.Ordinal);
        }

        JsonObject quota = await _harness.GetAsync(Quotas, "demo", "one");
        Assert.Equal("1", quota["status"]!["used"]!["pods"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePod_ScopedQuota_MeasuresOnlyPodsInScope()
    {
        await CreateQuotaAsync("besteffort", """{"pods":"0"}""", """{"pods":"0"}""", ""","scopes":["BestEffort"]""");

        await CreatePodAsync("burstable", ""","resources":{"requests":{"cpu":"100m"}}""");
        StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("plain", string.Empty));

        Assert.Contains("exceeded quota: besteffort", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePod_QuotaReadFromWatchCache_ChargesAndRefusesTheNextOverQuota()
    {
        ApiWatchCache cache = _harness.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        try
        {
            await cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
            await CreateQuotaAsync("q", """{"pods":"1"}""", """{"pods":"0"}""");
            JsonObject quota = await _harness.GetAsync(Quotas, "demo", "q");
            await cache.WaitForRevisionAsync(long.Parse(quota["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

            await CreatePodAsync("first", string.Empty);
            StatusException error = await Assert.ThrowsAsync<StatusException>(() => CreatePodAsync("second", string.Empty));

            Assert.Equal("pods \"second\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1", error.Message);
            JsonObject charged = await _harness.GetAsync(Quotas, "demo", "q");
            Assert.Equal("1", charged["status"]!["used"]!["pods"]!.GetValue<string>());
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }

    private async Task CreateQuotaAsync(string name, string hard, string used, string scopes = "")
    {
        await _harness.CreateAsync(Quotas, "demo", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"hard":{{{hard}}}{{{scopes}}}}}""");
        JsonObject stored = await _harness.GetAsync(Quotas, "demo", name);
        stored["status"] = RegistryHarness.Json($$$"""{"hard":{{{hard}}},"used":{{{used}}}}""");
        await _harness.ReplaceAsync(Quotas, "demo", name, stored, "status");
    }

    private Task<JsonObject> CreatePodAsync(string name, string resources) =>
        _harness.CreateAsync(_harness.Pods, "demo", Pod(name, resources));

    private static string Pod(string name, string resources) =>
        $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"app","image":"nginx"{{{resources}}}}]}}""";
}
