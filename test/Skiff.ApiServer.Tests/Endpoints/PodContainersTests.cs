using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Skiff.ApiServer.Endpoints;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Endpoints;

/// <summary>Which container pods/log, exec and attach mean when the client names none (upstream's validateContainer, plus kubectl's annotation).</summary>
public sealed class PodContainersTests
{
    [Fact]
    public void Resolve_NoNameAndOneContainer_ReturnsIt()
    {
        Assert.Equal("app", PodContainers.Resolve(Pod(["app"]), null));
    }

    [Fact]
    public void Resolve_NamedContainerOrInitContainer_ReturnsIt()
    {
        JsonObject pod = Pod(["app", "sidecar"], ["setup"]);

        Assert.Equal("sidecar", PodContainers.Resolve(pod, "sidecar"));
        Assert.Equal("setup", PodContainers.Resolve(pod, "setup"));
    }

    [Fact]
    public void Resolve_UnknownName_Is400NotValid()
    {
        StatusException error = Assert.Throws<StatusException>(() => PodContainers.Resolve(Pod(["app"]), "nope"));

        Assert.Equal(400, error.Status.Code);
        Assert.Equal("BadRequest", error.Status.Reason);
        Assert.Equal("container nope is not valid for pod web", error.Status.Message);
    }

    [Fact]
    public void Resolve_SeveralContainersAndNoName_Is400ListingTheChoices()
    {
        StatusException error = Assert.Throws<StatusException>(() => PodContainers.Resolve(Pod(["app", "sidecar"], ["setup"]), ""));

        Assert.Equal(400, error.Status.Code);
        Assert.Equal("a container name must be specified for pod web, choose one of: [setup app sidecar]", error.Status.Message);
    }

    [Fact]
    public void Resolve_SeveralContainersWithTheDefaultContainerAnnotation_ReturnsTheAnnotated()
    {
        JsonObject pod = Pod(["app", "sidecar"]);
        pod["metadata"]!["annotations"] = new JsonObject { [PodContainers.DefaultContainerAnnotation] = "sidecar" };

        Assert.Equal("sidecar", PodContainers.Resolve(pod, null));
    }

    [Fact]
    public void Resolve_AnnotationNamingNoContainer_StillAsksForAName()
    {
        JsonObject pod = Pod(["app", "sidecar"]);
        pod["metadata"]!["annotations"] = new JsonObject { [PodContainers.DefaultContainerAnnotation] = "gone" };

        Assert.Throws<StatusException>(() => PodContainers.Resolve(pod, null));
    }

    [Fact]
    public void KubeletQuery_ExecFlags_AreAlsoSentUnderTheKubeletsNames()
    {
        var query = new QueryCollection(new Dictionary<string, StringValues>
        {
            ["container"] = "app", ["command"] = new(["sh", "-c", "echo a b"]), ["stdin"] = "true", ["stdout"] = "true", ["tty"] = "true",
        });

        string kubelet = KubeletProxy.KubeletQuery(query, "exec");

        Assert.Equal("?command=sh&command=-c&command=echo%20a%20b&stdin=true&input=1&stdout=true&output=1&tty=true", kubelet);
    }

    [Fact]
    public void FromKubelet_TextError_BecomesAStatusWithTheKubeletsCode()
    {
        StatusException error = KubeletProxy.FromKubelet(400, "previous terminated container \"c\" in pod \"p\" not found");

        Assert.Equal(400, error.Status.Code);
        Assert.Equal("BadRequest", error.Status.Reason);
        Assert.Equal("previous terminated container \"c\" in pod \"p\" not found", error.Status.Message);
    }

    private static JsonObject Pod(string[] containers, string[]? initContainers = null)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c })]) },
        };
        if (initContainers is not null)
        {
            pod["spec"]!["initContainers"] = new JsonArray([.. initContainers.Select(c => (JsonNode)new JsonObject { ["name"] = c })]);
        }

        return pod;
    }
}
