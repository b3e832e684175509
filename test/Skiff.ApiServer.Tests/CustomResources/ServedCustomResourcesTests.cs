using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class ServedCustomResourcesTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    private ServedCustomResources Served => _harness.Provider.GetRequiredService<ServedCustomResources>();

    private ApiWatchCache Cache => _harness.Provider.GetRequiredService<ApiWatchCache>();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task ServeAsync_KindTheCatalogRefuses_LeavesNoCacheBehind()
    {
        await Served.ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);
        V1CustomResourceDefinition copy = Renamed("crontabcopies.stable.example.com", "crontabcopies", "CronTab");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Served.ServeAsync(copy, CancellationToken.None));

        Assert.DoesNotContain(Cache.Statistics(), s => s.Resource.Plural == "crontabcopies");
        Assert.Contains(Cache.Statistics(), s => s.Resource.Plural == "crontabs");
    }

    [Fact]
    public async Task ServeAsync_PluralOfAnotherServedCrd_KeepsThatCrdsCache()
    {
        await Served.ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);
        V1CustomResourceDefinition rival = Renamed("rival.stable.example.com", "crontabs", "Rival");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Served.ServeAsync(rival, CancellationToken.None));

        Assert.Contains(Cache.Statistics(), s => s.Resource.Plural == "crontabs");
        Assert.NotNull(_harness.Catalog.Find("stable.example.com", "v1", "crontabs"));
    }

    [Fact]
    public async Task ServeAsync_PrinterColumnsOnlyChanged_KeepsTheCompiledSchema()
    {
        V1CustomResourceDefinition crd = CrdFixtures.CronTab();
        await Served.ServeAsync(crd, CancellationToken.None);
        ServedCustomResource before = Served.Versions(CrdFixtures.Name).Single(v => v.Version.Name == "v1");
        V1CustomResourceDefinition changed = CrdFixtures.CronTab();
        changed.Spec.Versions.Single(v => v.Name == "v1").AdditionalPrinterColumns =
            [new V1CustomResourceColumnDefinition { Name = "Image", Type = "string", JsonPath = ".spec.image" }];

        Assert.True(await Served.ServeAsync(changed, CancellationToken.None));

        ServedCustomResource after = Served.Versions(CrdFixtures.Name).Single(v => v.Version.Name == "v1");
        Assert.Same(before.Schema, after.Schema);
        Assert.Contains(after.Printer.Columns, c => c.Name == "Image");
    }

    [Fact]
    public async Task ServeAsync_SchemaChanged_CompilesTheNewSchema()
    {
        await Served.ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);
        ServedCustomResource before = Served.Versions(CrdFixtures.Name).Single(v => v.Version.Name == "v1");
        V1CustomResourceDefinition changed = CrdFixtures.CronTab();
        changed.Spec.Versions.Single(v => v.Name == "v1").Schema.OpenAPIV3Schema.Description = "changed";

        Assert.True(await Served.ServeAsync(changed, CancellationToken.None));

        Assert.NotSame(before.Schema, Served.Versions(CrdFixtures.Name).Single(v => v.Version.Name == "v1").Schema);
    }

    private static V1CustomResourceDefinition Renamed(string name, string plural, string kind)
    {
        V1CustomResourceDefinition crd = CrdFixtures.CronTab();
        crd.Metadata.Name = name;
        crd.Spec.Names = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, ListKind = kind + "List" };
        crd.Status.AcceptedNames = new V1CustomResourceDefinitionNames { Plural = plural, Kind = kind, ListKind = kind + "List" };
        return crd;
    }
}
