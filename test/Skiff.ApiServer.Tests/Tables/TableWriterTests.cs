using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Tables;
using static Skiff.ApiServer.Tests.Tables.TableTestData;

namespace Skiff.ApiServer.Tests.Tables;

public sealed class TableWriterTests
{
    private readonly TablePrinters _printers = new();

    [Fact]
    public void Write_PodList_HasUpstreamShape()
    {
        var rowObject = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1" };

        JsonObject table = TableWriter.Write(
            _printers.For("", "Pod"), [new TableRowInput(PodPrinterTests.RunningPod(), rowObject)], "125", "next-page", Now);

        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal("meta.k8s.io/v1", (string?)table["apiVersion"]);
        Assert.Equal("125", (string?)table["metadata"]!["resourceVersion"]);
        Assert.Equal("next-page", (string?)table["metadata"]!["continue"]);
        JsonArray columns = table["columnDefinitions"]!.AsArray();
        Assert.Equal(9, columns.Count);
        Assert.Equal(
            """{"name":"Name","type":"string","format":"name","description":"%s","priority":0}""".Replace("%s", Columns.NameDescription, StringComparison.Ordinal),
            columns[0]!.ToJsonString());
        Assert.Equal(1, (int)columns[5]!["priority"]!);
        JsonObject row = table["rows"]![0]!.AsObject();
        Assert.Equal("""["web","1/1","Running","0","5m","10.244.0.24","node-1","\u003Cnone\u003E","\u003Cnone\u003E"]""", row["cells"]!.ToJsonString());
        Assert.Equal("PartialObjectMetadata", (string?)row["object"]!["kind"]);
    }

    [Fact]
    public void Write_WatchEventAfterFirst_OmitsColumnDefinitions()
    {
        JsonObject table = TableWriter.Write(
            _printers.For("", "Pod"), [new TableRowInput(PodPrinterTests.RunningPod(), null)], "7", null, Now, includeColumnDefinitions: false);

        Assert.False(table.ContainsKey("columnDefinitions"));
        Assert.False(table["metadata"]!.AsObject().ContainsKey("continue"));
        Assert.False(table["rows"]![0]!.AsObject().ContainsKey("object"));
    }

    [Fact]
    public void Write_IntegerAndBooleanCells_AreJsonNumbersAndBooleans()
    {
        var set = new V1ReplicaSet
        {
            Metadata = Meta("web-1", TimeSpan.FromMinutes(1)),
            Spec = new V1ReplicaSetSpec { Replicas = 3, Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [] } } },
            Status = new V1ReplicaSetStatus { Replicas = 3, ReadyReplicas = 2 },
        };

        JsonObject table = TableWriter.Write(_printers.For("apps", "ReplicaSet"), [new TableRowInput(set, null)], "1", null, Now);

        Assert.StartsWith("""["web-1",3,3,2,"60s",""", table["rows"]![0]!["cells"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Write_EmptyList_HasEmptyRows()
    {
        JsonObject table = TableWriter.Write(_printers.For("", "Pod"), [], "3", null, Now);

        Assert.Empty(table["rows"]!.AsArray());
    }

    [Fact]
    public void Write_RowObjectAlreadyInATree_IsCopied()
    {
        var owner = new JsonObject { ["inner"] = new JsonObject { ["kind"] = "Pod" } };

        JsonObject table = TableWriter.Write(_printers.For("", "Pod"), [new TableRowInput(PodPrinterTests.RunningPod(), owner["inner"])], "3", null, Now);

        Assert.Equal("Pod", (string?)table["rows"]![0]!["object"]!["kind"]);
        Assert.NotNull(owner["inner"]);
    }
}
