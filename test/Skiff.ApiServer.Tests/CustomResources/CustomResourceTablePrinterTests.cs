using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Tables;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class CustomResourceTablePrinterTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly JsonObject s_widget = (JsonObject)JsonNode.Parse("""
        {"metadata":{"name":"w1","creationTimestamp":"2026-01-02T11:55:00Z","annotations":{"example.com/owner":"team-a"}},
         "spec":{"replicas":3,"ratio":0.25,"paused":true,"image":"nginx","ports":[80,443],"selector":{"app":"web"}},
         "status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}],"since":"2026-01-01T12:00:00Z","bad":"soon"}}
        """)!;

    [Fact]
    public void Columns_NoDefinitions_NameAndAge()
    {
        var printer = new CustomResourceTablePrinter([]);

        Assert.Equal([("Name", "string", "name"), ("Age", "date", "")], printer.Columns.Select(c => (c.Name, c.Type, c.Format)));
        Assert.Equal<object?>(["w1", "5m"], printer.Cells(s_widget, s_now));
    }

    [Fact]
    public void Columns_WithDefinitions_NameThenEachColumnNoAddedAge()
    {
        var printer = new CustomResourceTablePrinter(
        [
            Column("Replicas", "integer", ".spec.replicas", priority: 0, description: "How many"),
            Column("Image", "string", ".spec.image", priority: 1),
        ]);

        Assert.Equal(["Name", "Replicas", "Image"], printer.Columns.Select(c => c.Name));
        TableColumn image = printer.Columns[2];
        Assert.Equal(("How many", 1, "Custom resource definition column (in JSONPath format): .spec.image"),
            (printer.Columns[1].Description, image.Priority, image.Description));
    }

    [Fact]
    public void Cells_EachColumnType_FormattedAsUpstream()
    {
        var printer = new CustomResourceTablePrinter(
        [
            Column("Replicas", "integer", ".spec.replicas"),
            Column("Ratio", "number", ".spec.ratio"),
            Column("Paused", "boolean", ".spec.paused"),
            Column("Image", "string", ".spec.image"),
            Column("Since", "date", ".status.since"),
            Column("Created", "date", ".metadata.creationTimestamp"),
            Column("Bad", "date", ".status.bad"),
        ]);

        Assert.Equal<object?>(["w1", 3L, 0.25, true, "nginx", "24h", "5m", "<invalid>"], printer.Cells(s_widget, s_now));
    }

    [Fact]
    public void Cells_MissingOrMistyped_NullCells()
    {
        var printer = new CustomResourceTablePrinter(
        [
            Column("Missing", "string", ".spec.nothing"),
            Column("NotBool", "boolean", ".spec.image"),
            Column("NotInt", "integer", ".spec.image"),
        ]);

        Assert.Equal<object?>(["w1", null, null, null], printer.Cells(s_widget, s_now));
    }

    [Fact]
    public void Cells_JsonPathIndexesWildcardsAndFilters_FirstResult()
    {
        var printer = new CustomResourceTablePrinter(
        [
            Column("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status"),
            Column("Second", "integer", ".spec.ports[1]"),
            Column("Last", "integer", ".spec.ports[-1]"),
            Column("Any", "integer", ".spec.ports[*]"),
            Column("App", "string", ".spec.selector['app']"),
            Column("Ports", "string", ".spec.ports"),
            Column("Count", "string", ".spec.replicas"),
            Column("Owner", "string", ".metadata.annotations.example\\.com/owner"),
        ]);

        Assert.Equal<object?>(["w1", "True", 443L, 443L, 80L, "web", "[80,443]", "3", "team-a"], printer.Cells(s_widget, s_now));
    }

    private static V1CustomResourceColumnDefinition Column(string name, string type, string path, int priority = 0, string? description = null) =>
        new() { Name = name, Type = type, JsonPath = path, Priority = priority, Description = description };
}
