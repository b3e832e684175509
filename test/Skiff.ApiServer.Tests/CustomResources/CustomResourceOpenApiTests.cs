using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class CustomResourceOpenApiTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    private ServedCustomResources Served => _harness.Provider.GetRequiredService<ServedCustomResources>();

    private CustomResourceOpenApi OpenApi => _harness.Provider.GetRequiredService<CustomResourceOpenApi>();

    private async Task InitializeAsync() => await Served.ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task TryGetDocument_CrdWithListKind_NamesTheListByIt()
    {
        k8s.Models.V1CustomResourceDefinition crd = CrdFixtures.CronTab();
        crd.Status.AcceptedNames.ListKind = "CronTabCatalog";
        await Served.ServeAsync(crd, CancellationToken.None);

        Assert.True(OpenApi.TryGetDocument("apis/stable.example.com/v1", out byte[] json, out _));

        JsonObject list = JsonNode.Parse(json)!["components"]!["schemas"]!["com.example.stable.v1.CronTabCatalog"]!.AsObject();
        Assert.Equal("CronTabCatalog", (string?)list["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.Equal("CronTabCatalog", _harness.Resource("stable.example.com", "v1", "crontabs").ListKind);
    }

    [Fact]
    public async Task TryGetDocument_ServedVersion_HasTheSchemaAndWhatKubectlValidationLooksFor()
    {
        await InitializeAsync();
        bool found = OpenApi.TryGetDocument("apis/stable.example.com/v1", out byte[] json, out string hash);

        Assert.True(found);
        Assert.NotEmpty(hash);
        JsonObject document = JsonNode.Parse(json)!.AsObject();
        JsonObject schema = document["components"]!["schemas"]!["com.example.stable.v1.CronTab"]!.AsObject();
        Assert.Equal("The cron schedule.", (string?)schema["properties"]!["spec"]!["properties"]!["cronSpec"]!["description"]);
        Assert.Equal("CronTab", (string?)schema["x-kubernetes-group-version-kind"]![0]!["kind"]);
        Assert.NotNull(document["components"]!["schemas"]!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
        JsonObject patch = document["paths"]!["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]!["patch"]!.AsObject();
        Assert.Equal("v1", (string?)patch["x-kubernetes-group-version-kind"]!["version"]);
        Assert.Contains(patch["parameters"]!.AsArray(), p => (string?)p!["name"] == "fieldValidation");
        Assert.DoesNotContain("strategic-merge-patch", patch["requestBody"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(document["paths"]!["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/scale"]);
    }

    [Fact]
    public async Task AddTo_Index_ListsEveryServedVersion()
    {
        await InitializeAsync();
        var index = new JsonObject { ["paths"] = new JsonObject() };

        OpenApi.AddTo(index);

        Assert.StartsWith("/openapi/v3/apis/stable.example.com/v1?hash=", (string?)index["paths"]!["apis/stable.example.com/v1"]!["serverRelativeURL"], StringComparison.Ordinal);
        Assert.NotNull(index["paths"]!["apis/stable.example.com/v1beta1"]);
    }

    [Fact]
    public async Task TryGetDocument_AfterTheCrdStopsBeingServed_IsNotFound()
    {
        await InitializeAsync();
        await Served.StopAsync(CrdFixtures.Name, CancellationToken.None);

        Assert.False(OpenApi.TryGetDocument("apis/stable.example.com/v1", out _, out _));
    }
}
