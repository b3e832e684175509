using System.Text.Json.Nodes;
using Skiff.ApiServer.Patching;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Patching;

/// <summary>RFC 6902 behaviour, mostly the RFC's own Appendix A examples.</summary>
public sealed class JsonPatchTests
{
    [Theory]
    // A.1 Adding an Object Member
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    // A.2 Adding an Array Element
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    // A.3 Removing an Object Member
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    // A.4 Removing an Array Element
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    // A.5 Replacing a Value
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    // A.6 Moving a Value
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    // A.7 Moving an Array Element
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    // A.8 Testing a Value: Success
    [InlineData("""{"baz":"qux","foo":["a",2,"c"]}""", """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""", """{"baz":"qux","foo":["a",2,"c"]}""")]
    // A.10 Adding a Nested Member Object
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    // A.11 Ignoring Unrecognized Elements
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    // A.14 ~ Escape Ordering
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    // A.16 Adding an Array Value
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    public void Apply_RfcAppendixExample_ProducesRfcResult(string original, string patch, string expected)
    {
        JsonNode? result = JsonPatch.Apply(JsonAssert.Parse(original), JsonAssert.Parse(patch));

        JsonAssert.Equal(expected, result);
    }

    [Fact]
    public void Apply_PointerWithEscapedSlashAndTilde_ReachesTheMember()
    {
        JsonNode original = JsonAssert.Parse("""{"metadata":{"annotations":{"a/b":"1","c~d":"2"}}}""");
        JsonNode patch = JsonAssert.Parse("""[{"op":"replace","path":"/metadata/annotations/a~1b","value":"x"},{"op":"remove","path":"/metadata/annotations/c~0d"}]""");

        JsonNode? result = JsonPatch.Apply(original, patch);

        JsonAssert.Equal("""{"metadata":{"annotations":{"a/b":"x"}}}""", result);
    }

    [Fact]
    public void Apply_CopyAndDashAppend_AppendsACopy()
    {
        JsonNode original = JsonAssert.Parse("""{"spec":{"containers":[{"name":"a"}]}}""");
        JsonNode patch = JsonAssert.Parse("""[{"op":"copy","from":"/spec/containers/0","path":"/spec/containers/-"},{"op":"replace","path":"/spec/containers/1/name","value":"b"}]""");

        JsonNode? result = JsonPatch.Apply(original, patch);

        JsonAssert.Equal("""{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}""", result);
    }

    [Fact]
    public void Apply_ReplaceWholeDocument_ReturnsTheValue()
    {
        JsonNode? result = JsonPatch.Apply(JsonAssert.Parse("""{"a":1}"""), JsonAssert.Parse("""[{"op":"replace","path":"","value":{"b":2}}]"""));

        JsonAssert.Equal("""{"b":2}""", result);
    }

    [Fact]
    public void Apply_AddNullValue_StoresJsonNull()
    {
        JsonNode? result = JsonPatch.Apply(JsonAssert.Parse("""{"a":1}"""), JsonAssert.Parse("""[{"op":"add","path":"/b","value":null}]"""));

        JsonAssert.Equal("""{"a":1,"b":null}""", result);
    }

    [Fact]
    public void Apply_AnyPatch_LeavesInputsUnchanged()
    {
        JsonNode original = JsonAssert.Parse("""{"foo":{"bar":1}}""");
        JsonNode patch = JsonAssert.Parse("""[{"op":"add","path":"/foo/baz","value":{"x":1}},{"op":"remove","path":"/foo/bar"}]""");

        JsonPatch.Apply(original, patch);

        JsonAssert.Equal("""{"foo":{"bar":1}}""", original);
        JsonAssert.Equal("""[{"op":"add","path":"/foo/baz","value":{"x":1}},{"op":"remove","path":"/foo/bar"}]""", patch);
    }

    [Theory]
    // A.9 Testing a Value: Error
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""")]
    // A.12 Adding to a Nonexistent Target
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""")]
    // A.15 Comparing Strings and Numbers
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""")]
    [InlineData("""{"a":1}""", """[{"op":"remove","path":"/b"}]""")]
    [InlineData("""{"a":1}""", """[{"op":"replace","path":"/b","value":2}]""")]
    [InlineData("""{"a":[1]}""", """[{"op":"add","path":"/a/5","value":2}]""")]
    [InlineData("""{"a":[1]}""", """[{"op":"remove","path":"/a/01"}]""")]
    [InlineData("""{"a":1}""", """[{"op":"move","from":"/x","path":"/y"}]""")]
    public void Apply_OperationThatDoesNotApply_Throws422NamingOperationAndPath(string original, string patch)
    {
        StatusException error = Assert.Throws<StatusException>(() => JsonPatch.Apply(JsonAssert.Parse(original), JsonAssert.Parse(patch)));

        Assert.Equal(422, error.Code);
        Assert.Equal("Invalid", error.Reason);
        string op = JsonAssert.Parse(patch)[0]!["op"]!.GetValue<string>();
        Assert.Contains($"JSON patch {op} operation does not apply", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"op":"add","path":"/a","value":1}""")]
    [InlineData("""[{"path":"/a","value":1}]""")]
    [InlineData("""[{"op":"frobnicate","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"/a"}]""")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/a~2","value":1}]""")]
    [InlineData("""[{"op":"move","path":"/a"}]""")]
    [InlineData("""[{"op":"move","from":"/a","path":"/a/b"}]""")]
    [InlineData("""[42]""")]
    public void Apply_MalformedPatch_Throws400(string patch)
    {
        StatusException error = Assert.Throws<StatusException>(() => JsonPatch.Apply(JsonAssert.Parse("""{"a":{}}"""), JsonAssert.Parse(patch)));

        Assert.Equal(400, error.Code);
        Assert.Equal("BadRequest", error.Reason);
    }

    [Fact]
    public void Apply_FailingSecondOperation_LeavesOriginalUntouched()
    {
        JsonNode original = JsonAssert.Parse("""{"a":1}""");

        Assert.Throws<StatusException>(() => JsonPatch.Apply(original, JsonAssert.Parse("""[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5}]""")));

        JsonAssert.Equal("""{"a":1}""", original);
    }

    [Fact]
    public void Apply_TestNumberWrittenDifferently_ComparesByValue()
    {
        // RFC 6902 §4.6: numbers are equal when their values are numerically equal.
        JsonNode? result = JsonPatch.Apply(JsonAssert.Parse("""{"a":1,"b":[{"c":2.50}]}"""), JsonAssert.Parse("""[{"op":"test","path":"/a","value":1.0},{"op":"test","path":"/b","value":[{"c":2.5}]}]"""));

        JsonAssert.Equal("""{"a":1,"b":[{"c":2.5}]}""", result);
    }
}
