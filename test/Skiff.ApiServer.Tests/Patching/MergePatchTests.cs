using System.Text.Json.Nodes;
using Skiff.ApiServer.Patching;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>RFC 7386 behaviour: the RFC's Appendix A table and what kubectl label/annotate/scale send.</summary>
public sealed class MergePatchTests
{
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Apply_RfcAppendixExample_ProducesRfcResult(string original, string patch, string expected)
    {
        JsonNode result = MergePatch.Apply(JsonAssert.Parse(original), JsonAssert.Parse(patch));

        JsonAssert.Equal(expected, result);
    }

    [Fact]
    public void Apply_NullOriginal_BuildsFromPatchWithoutNulls()
    {
        JsonNode result = MergePatch.Apply(null, JsonAssert.Parse("""{"a":{"b":null,"c":1}}"""));

        JsonAssert.Equal("""{"a":{"c":1}}""", result);
    }

    [Fact]
    public void Apply_LabelPatchFromKubectl_AddsAndRemovesLabels()
    {
        JsonNode original = JsonAssert.Parse("""{"metadata":{"name":"web","labels":{"app":"web","tier":"front"}}}""");

        JsonNode result = MergePatch.Apply(original, JsonAssert.Parse("""{"metadata":{"labels":{"tier":null,"env":"prod"},"resourceVersion":"7"}}"""));

        JsonAssert.Equal("""{"metadata":{"name":"web","labels":{"app":"web","env":"prod"},"resourceVersion":"7"}}""", result);
    }

    [Fact]
    public void Apply_AnyPatch_LeavesInputsUnchanged()
    {
        JsonNode original = JsonAssert.Parse("""{"spec":{"replicas":1,"x":{"y":1}}}""");
        JsonNode patch = JsonAssert.Parse("""{"spec":{"replicas":3,"x":{"z":2}}}""");

        JsonNode result = MergePatch.Apply(original, patch);

        JsonAssert.Equal("""{"spec":{"replicas":1,"x":{"y":1}}}""", original);
        JsonAssert.Equal("""{"spec":{"replicas":3,"x":{"z":2}}}""", patch);
        JsonAssert.Equal("""{"spec":{"replicas":3,"x":{"y":1,"z":2}}}""", result);
    }
}
