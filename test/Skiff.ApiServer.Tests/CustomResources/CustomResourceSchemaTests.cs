using System.Text.Json.Nodes;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class CustomResourceSchemaTests
{
    private const string Schema = """
        {
          "type": "object",
          "properties": {
            "spec": {
              "type": "object",
              "required": ["name"],
              "properties": {
                "replicas": { "type": "integer", "minimum": 1, "maximum": 10, "default": 1 },
                "name": { "type": "string", "pattern": "^[a-z]+$", "maxLength": 8, "minLength": 2 },
                "mode": { "type": "string", "enum": ["a", "b"] },
                "port": { "x-kubernetes-int-or-string": true },
                "note": { "type": "string", "nullable": true },
                "ratio": { "type": "number", "minimum": 0, "exclusiveMinimum": true },
                "when": { "type": "string", "format": "date-time" },
                "size": { "type": "integer", "format": "int32" },
                "tags": { "type": "array", "maxItems": 2, "minItems": 1, "items": { "type": "string" } },
                "ports": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "required": ["port"],
                    "properties": {
                      "port": { "type": "integer" },
                      "protocol": { "type": "string", "default": "TCP" }
                    }
                  }
                },
                "limits": { "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 } },
                "matrix": { "type": "array", "items": { "type": "array", "items": { "type": "integer" } } },
                "tier": { "type": "string", "anyOf": [{ "enum": ["gold"] }, { "pattern": "^x-" }] },
                "extra": { "type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": { "known": { "type": "object", "properties": { "a": { "type": "string" } } } } },
                "template": {
                  "type": "object",
                  "x-kubernetes-embedded-resource": true,
                  "properties": { "spec": { "type": "object", "properties": { "image": { "type": "string" } } } }
                },
                "settings": {
                  "type": "object",
                  "default": { "level": "info", "junk": true },
                  "properties": { "level": { "type": "string" }, "color": { "type": "string", "default": "blue" } }
                }
              }
            },
            "status": { "type": "object", "properties": { "ready": { "type": "boolean" } } }
          }
        }
        """;

    [Fact]
    public void Validate_ValidObject_NoCauses()
    {
        Assert.Empty(Validate("""{"spec":{"name":"abc","replicas":3,"port":"http","ratio":0.5,"when":"2024-01-02T03:04:05Z","tags":["x"],"limits":{"cpu":2}}}"""));
    }

    [Fact]
    public void Validate_StringForInteger_TypeInvalidWithUpstreamText()
    {
        ValidationErrors errors = ValidateErrors("""{"spec":{"name":"abc","replicas":"many"}}""");

        var cause = Assert.Single(errors.Causes);
        Assert.Equal("FieldValueTypeInvalid", cause.Reason);
        Assert.Equal("spec.replicas", cause.Field);
        Assert.Equal("Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"", cause.Message);
    }

    [Fact]
    public void Validate_MissingRequired_RequiredValue()
    {
        var cause = Assert.Single(ValidateErrors("""{"spec":{"replicas":2}}""").Causes);
        Assert.Equal(("FieldValueRequired", "spec.name", "Required value"), (cause.Reason, cause.Field, cause.Message));
    }

    [Fact]
    public void Validate_ValueOutsideEnum_UnsupportedValue()
    {
        Assert.Equal(["spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\""], Validate("""{"spec":{"name":"abc","mode":"c"}}"""));
    }

    [Fact]
    public void Validate_BelowMinimumAndAboveMaximum_UpstreamBoundMessages()
    {
        Assert.Equal(["spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"], Validate("""{"spec":{"name":"abc","replicas":0}}"""));
        Assert.Equal(["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"], Validate("""{"spec":{"name":"abc","replicas":11}}"""));
        Assert.Equal(["spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"], Validate("""{"spec":{"name":"abc","ratio":0}}"""));
    }

    [Fact]
    public void Validate_PatternAndLength_UpstreamMessages()
    {
        Assert.Equal(["spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"], Validate("""{"spec":{"name":"ABC"}}"""));
        Assert.Equal(["spec.name: Too long: may not be longer than 8"], Validate("""{"spec":{"name":"abcdefghij"}}"""));
        Assert.Equal(["spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars long"], Validate("""{"spec":{"name":"a"}}"""));
    }

    [Fact]
    public void Validate_IntOrString_AcceptsBothRefusesOthers()
    {
        Assert.Empty(Validate("""{"spec":{"name":"abc","port":8080}}"""));
        Assert.Empty(Validate("""{"spec":{"name":"abc","port":"http"}}"""));
        Assert.Equal(["spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\""],
            Validate("""{"spec":{"name":"abc","port":true}}"""));
    }

    [Fact]
    public void Validate_Null_AllowedOnlyWhenNullable()
    {
        Assert.Empty(Validate("""{"spec":{"name":"abc","note":null}}"""));
        // kube-openapi runs the type and the enum check on a null, so upstream reports both.
        Assert.Equal(
            ["spec.mode: Invalid value: \"null\": spec.mode in body must be of type string: \"null\"", "spec.mode: Unsupported value: null: supported values: \"a\", \"b\""],
            Validate("""{"spec":{"name":"abc","mode":null}}"""));
    }

    [Fact]
    public void Validate_NestedArraysAndMaps_PathsWithIndexesAndKeys()
    {
        string[] causes = Validate("""{"spec":{"name":"abc","ports":[{"port":80},{"protocol":"UDP"},{"port":"x"}],"limits":{"cpu":-1},"matrix":[[1],[2,"z"]]}}""");

        Assert.Contains("spec.ports[1].port: Required value", causes);
        Assert.Contains("spec.ports[2].port: Invalid value: \"string\": spec.ports[2].port in body must be of type integer: \"string\"", causes);
        Assert.Contains("spec.limits.cpu: Invalid value: -1: spec.limits.cpu in body should be greater than or equal to 0", causes);
        Assert.Contains("spec.matrix[1][1]: Invalid value: \"string\": spec.matrix[1][1] in body must be of type integer: \"string\"", causes);
        Assert.Equal(4, causes.Length);
    }

    [Fact]
    public void Validate_ItemCounts_TooManyAndTooFew()
    {
        Assert.Equal(["spec.tags: Too many: 3: must have at most 2 items"], Validate("""{"spec":{"name":"abc","tags":["a","b","c"]}}"""));
        Assert.Equal(["spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"], Validate("""{"spec":{"name":"abc","tags":[]}}"""));
    }

    [Fact]
    public void Validate_Formats_DateTimeCheckedInt32Ignored()
    {
        Assert.Equal(["spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\""],
            Validate("""{"spec":{"name":"abc","when":"yesterday"}}"""));
        Assert.Empty(Validate("""{"spec":{"name":"abc","size":99999999999}}"""));
    }

    [Fact]
    public void Validate_AnyOfNoneMatches_CompositeCauseAndBranchError()
    {
        string[] causes = Validate("""{"spec":{"name":"abc","tier":"silver"}}""");

        Assert.Contains("<nil>: Invalid value: \"\": \"spec.tier\" must validate at least one schema (anyOf)", causes);
        Assert.Contains("spec.tier: Unsupported value: \"silver\": supported values: \"gold\"", causes);
        Assert.Empty(Validate("""{"spec":{"name":"abc","tier":"x-1"}}"""));
    }

    [Fact]
    public void Validate_EmbeddedResourceWithoutKind_Required()
    {
        Assert.Equal(["spec.template.kind: Required value: must not be empty"], Validate("""{"spec":{"name":"abc","template":{"apiVersion":"v1"}}}"""));
    }

    [Fact]
    public void Validate_EmbeddedResourceKindNotString_TypeInvalid()
    {
        Assert.Equal(["spec.template.kind: Invalid value: \"integer\": spec.template.kind in body must be of type string: \"integer\""],
            Validate("""{"spec":{"name":"abc","template":{"apiVersion":"v1","kind":5}}}"""));
    }

    [Fact]
    public async Task Validate_ConcurrentCallers_SameResultsAsSequential()
    {
        CustomResourceSchema schema = CustomResourceSchema.For(Parse(Schema));
        string[] expected = Validate("""{"spec":{"name":"ABC","replicas":0,"ports":[{}]}}""");

        string[][] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            string[] last = [];
            for (int i = 0; i < 25; i++)
            {
                var errors = new ValidationErrors();
                schema.Validate(Parse("""{"spec":{"name":"ABC","replicas":0,"ports":[{}]}}"""), errors);
                last = errors.Causes.Select(c => $"{c.Field}: {c.Message}").ToArray();
                Assert.Equal(expected, last);
            }

            return last;
        })));

        Assert.Equal(3, expected.Length);
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void Prune_UnknownFields_RemovedAndReported()
    {
        JsonObject item = Parse("""
            {"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"},"bogus":1},
             "spec":{"name":"abc","color":"red","ports":[{"port":1,"junk":2}],"limits":{"cpu":1}},"other":true}
            """);
        var unknown = new List<string>();

        CustomResourceSchema.For(Parse(Schema)).Prune(item, unknown);

        Assert.Equal(["metadata.bogus", "spec.color", "spec.ports[0].junk", "other"], unknown);
        Assert.Equal("""{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"}},"spec":{"name":"abc","ports":[{"port":1}],"limits":{"cpu":1}}}""",
            item.ToJsonString());
    }

    [Fact]
    public void Prune_PreserveUnknownFields_KeepsUnknownButPrunesKnownChildren()
    {
        JsonObject item = Parse("""{"spec":{"extra":{"anything":{"deep":1},"known":{"a":"x","b":"y"}}}}""");
        var unknown = new List<string>();

        CustomResourceSchema.For(Parse(Schema)).Prune(item, unknown);

        Assert.Equal(["spec.extra.known.b"], unknown);
        Assert.Equal("""{"anything":{"deep":1},"known":{"a":"x"}}""", item["spec"]!["extra"]!.ToJsonString());
    }

    [Fact]
    public void Prune_PreserveUnknownFieldsAtRoot_KeepsEverything()
    {
        JsonObject item = Parse("""{"spec":{"x":1},"free":{"y":2}}""");
        var unknown = new List<string>();

        CustomResourceSchema.For(Parse("""{"type":"object","x-kubernetes-preserve-unknown-fields":true}""")).Prune(item, unknown);

        Assert.Empty(unknown);
        Assert.Equal("""{"spec":{"x":1},"free":{"y":2}}""", item.ToJsonString());
    }

    [Fact]
    public void Prune_EmbeddedResource_KeepsApiVersionKindAndMetadata()
    {
        JsonObject item = Parse("""{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","odd":1},"spec":{"image":"i","x":1},"y":2}}}""");
        var unknown = new List<string>();

        CustomResourceSchema.For(Parse(Schema)).Prune(item, unknown);

        Assert.Equal(["spec.template.metadata.odd", "spec.template.spec.x", "spec.template.y"], unknown);
        Assert.Equal("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"image":"i"}}""", item["spec"]!["template"]!.ToJsonString());
    }

    [Fact]
    public void ApplyDefaults_MissingFields_FilledNestedAndInArrays()
    {
        JsonObject item = Parse("""{"spec":{"name":"abc","ports":[{"port":80},{"port":53,"protocol":"UDP"}]}}""");

        CustomResourceSchema.For(Parse(Schema)).ApplyDefaults(item);

        Assert.Equal(1, item["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("TCP", item["spec"]!["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal("UDP", item["spec"]!["ports"]![1]!["protocol"]!.GetValue<string>());
    }

    [Fact]
    public void ApplyDefaults_GivenValues_NotOverridden()
    {
        JsonObject item = Parse("""{"spec":{"name":"abc","replicas":5,"settings":{"level":"debug","color":"red"}}}""");

        CustomResourceSchema.For(Parse(Schema)).ApplyDefaults(item);

        Assert.Equal("""{"name":"abc","replicas":5,"settings":{"level":"debug","color":"red"}}""", item["spec"]!.ToJsonString());
    }

    [Fact]
    public void ApplyDefaults_ObjectDefault_PrunedThenDefaultedInside()
    {
        JsonObject item = Parse("""{"spec":{"name":"abc"}}""");

        CustomResourceSchema.For(Parse(Schema)).ApplyDefaults(item);

        Assert.Equal("""{"level":"info","color":"blue"}""", item["spec"]!["settings"]!.ToJsonString());
    }

    [Fact]
    public void ApplyDefaults_NullForNonNullable_Replaced()
    {
        JsonObject item = Parse("""{"spec":{"name":"abc","replicas":null}}""");

        CustomResourceSchema.For(Parse(Schema)).ApplyDefaults(item);

        Assert.Equal(1, item["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void For_NoSchema_KeepsAndAcceptsEverything()
    {
        CustomResourceSchema none = CustomResourceSchema.For(null);
        JsonObject item = Parse("""{"spec":{"anything":1}}""");
        var unknown = new List<string>();
        var errors = new ValidationErrors();

        none.ApplyDefaults(item);
        none.Prune(item, unknown);
        none.Validate(item, errors);

        Assert.Equal("""{"spec":{"anything":1}}""", item.ToJsonString());
        Assert.Empty(unknown);
        Assert.False(errors.Any);
    }

    private static string[] Validate(string json) =>
        ValidateErrors(json).Causes.Select(c => $"{c.Field}: {c.Message}").ToArray();

    private static ValidationErrors ValidateErrors(string json)
    {
        var errors = new ValidationErrors();
        CustomResourceSchema.For(Parse(Schema)).Validate(Parse(json), errors);
        return errors;
    }

    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;
}
