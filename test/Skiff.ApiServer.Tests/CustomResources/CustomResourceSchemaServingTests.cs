using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Tables;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.CustomResources;

/// <summary>
/// How the serving path uses the CRD schema (defaults, pruning with fieldValidation, validation, printer columns). These need
/// the real CustomResourceSchema and CustomResourceTablePrinter (the crd-schema branch); they fail against the seam's stubs.
/// </summary>
public sealed class CustomResourceSchemaServingTests : IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();
    private ResourceInfo _v1 = null!;

    private async Task InitializeAsync()
    {
        await _harness.Provider.GetRequiredService<ServedCustomResources>().ServeAsync(CrdFixtures.CronTab(), CancellationToken.None);
        _v1 = _harness.Resource("stable.example.com", "v1", "crontabs");
        await _harness.CreateNamespaceAsync("default");
    }

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task CreateAsync_ValueAboveTheSchemaMaximum_Is422WithTheField()
    {
        await InitializeAsync();
        JsonObject body = CrdFixtures.Object("tab");
        body["spec"]!["replicas"] = 11;

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(_v1, "default", body, RegistryHarness.Write(), CancellationToken.None));

        Assert.Equal(422, error.Code);
        Assert.Equal("Invalid", error.Reason);
        Assert.Contains(error.Status.Details!.Causes, c => c.Field == "spec.replicas");
    }

    [Fact]
    public async Task CreateAsync_UnknownFieldUnderStrict_Is400AndUnderWarnIsPrunedWithAWarning()
    {
        await InitializeAsync();
        JsonObject body = CrdFixtures.Object("tab", extra: ""","bogus":true""");

        StatusException strict = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.Registry.CreateAsync(_v1, "default", body.DeepClone().AsObject(), RegistryHarness.Write(), CancellationToken.None));
        var warn = new WriteRequest("tests", FieldValidation.Warn, DryRun: false);
        JsonObject created = await _harness.Registry.CreateAsync(_v1, "default", body, warn, CancellationToken.None);

        Assert.Equal(400, strict.Code);
        Assert.Contains("unknown field \"spec.bogus\"", strict.Message, StringComparison.Ordinal);
        Assert.Null(created["spec"]!["bogus"]);
        Assert.Contains("unknown field \"spec.bogus\"", warn.Warnings);
    }

    [Fact]
    public async Task CreateAsync_MissingFieldWithASchemaDefault_GetsTheDefault()
    {
        await InitializeAsync();
        JsonObject body = CrdFixtures.Object("tab");
        body["spec"]!.AsObject().Remove("replicas");

        JsonObject created = await _harness.Registry.CreateAsync(_v1, "default", body, RegistryHarness.Write(), CancellationToken.None);

        Assert.Equal(1, (int?)created["spec"]!["replicas"]);
    }

    [Fact]
    public async Task PrinterFor_VersionWithPrinterColumns_PrintsThemAfterName()
    {
        await InitializeAsync();
        ITablePrinter printer = _harness.Provider.GetRequiredService<TablePrinters>().For(_v1);

        IReadOnlyList<object?> cells = printer.Cells(CrdFixtures.Object("tab"), RegistryHarness.Start);

        Assert.Equal(["Name", "Spec", "Replicas"], printer.Columns.Take(3).Select(c => c.Name));
        Assert.Equal("tab", cells[0]);
        Assert.Equal("* * * * */5", cells[1]);
    }
}
