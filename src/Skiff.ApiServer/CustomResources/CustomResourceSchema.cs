using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// One served version's structural schema (<c>spec.versions[].schema.openAPIV3Schema</c> of a CRD): defaults, pruning and
/// validation of custom objects, in that order, as upstream's apiextensions-apiserver applies them. Validation is done by
/// the JsonSchema.Net library on a translation of the schema (<see cref="SchemaTranslation"/>); its results are turned into
/// upstream's causes by <see cref="SchemaErrors"/>.
/// </summary>
/// <remarks>
/// Compiling a schema costs about a millisecond: callers keep the instance (<see cref="ServedCustomResource"/> holds one per
/// served version and hands it on while the version's schema is unchanged). Instances are immutable and thread-safe.
/// The defaults inside the schema are pruned by the schema once, when the instance is made, as upstream requires.
/// </remarks>
internal sealed class CustomResourceSchema
{
    private static readonly EvaluationOptions s_evaluation = new()
    {
        OutputFormat = OutputFormat.Hierarchical,
        RequireFormatValidation = true,
        FormatRegistry = SchemaFormats.Registry,
    };

    private static readonly CustomResourceSchema s_none = new(null);

    private readonly JsonObject? _structural;
    private readonly JsonObject? _translated;
    private readonly JsonSchema? _compiled;
    private readonly bool _hasEmbeddedResources;

    private CustomResourceSchema(JsonObject? schema)
    {
        Schema = schema;
        if (schema is null)
        {
            return;
        }

        _structural = (JsonObject)schema.DeepClone();
        PruneDefaults(_structural);
        _translated = SchemaTranslation.ToJsonSchema(_structural);
        _hasEmbeddedResources = SchemaNodes(_structural).Any(n => n["x-kubernetes-embedded-resource"] is JsonValue e && e.TryGetValue(out bool embedded) && embedded);
        JsonElement element = JsonSerializer.SerializeToElement(_translated);
        _compiled = JsonSchema.Build(element, new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 });
    }

    /// <summary>The openAPIV3Schema as given; null when the version has none (everything is kept).</summary>
    public JsonObject? Schema { get; }

    /// <summary>Compiles the schema of a version (null: no schema, nothing pruned or checked).</summary>
    public static CustomResourceSchema For(JsonObject? openApiV3Schema) =>
        openApiV3Schema is null ? s_none : new CustomResourceSchema((JsonObject)openApiV3Schema.DeepClone());

    /// <summary>Fills in the schema's <c>default</c> values where fields are missing (on decode, as upstream does).</summary>
    public void ApplyDefaults(JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(item);
        SchemaDefaulting.Apply(item, _structural);
    }

    /// <summary>
    /// Removes fields the schema does not declare (apiVersion, kind and metadata's known fields stay), unless under
    /// <c>x-kubernetes-preserve-unknown-fields</c>; every removed field's path goes to <paramref name="unknownFields"/>
    /// (fieldValidation Warn and Strict report them).
    /// </summary>
    public void Prune(JsonObject item, List<string> unknownFields)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(unknownFields);
        if (_structural is not null)
        {
            SchemaPruning.PruneResource(item, _structural, unknownFields);
        }
    }

    /// <summary>Checks the object against the schema; each failure becomes a cause with its field path.</summary>
    public void Validate(JsonObject item, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(errors);
        if (_compiled is null || _translated is null)
        {
            return;
        }

        EvaluationResults result = _compiled.Evaluate(JsonSerializer.SerializeToElement(item), s_evaluation);
        if (!result.IsValid)
        {
            SchemaErrors.Collect(result, _translated, item, errors);
        }

        if (_hasEmbeddedResources)
        {
            EmbeddedResources.Validate(item, _structural, string.Empty, errors);
        }
    }

    /// <summary>Checks one value (a default) against a sub-schema of a CRD; cause paths are relative to the value.</summary>
    public static void ValidateValue(JsonNode? value, JsonObject schema, ValidationErrors errors)
    {
        JsonObject translated = SchemaTranslation.ToJsonSchema(schema);
        JsonSchema compiled = JsonSchema.Build(JsonSerializer.SerializeToElement(translated),
            new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 });
        EvaluationResults result = compiled.Evaluate(JsonSerializer.SerializeToElement(value), s_evaluation);
        if (!result.IsValid)
        {
            SchemaErrors.Collect(result, translated, value, errors);
        }
    }

    // Upstream refuses CRDs whose defaults carry unknown fields; pruning them here keeps an applied default inside the schema.
    private static void PruneDefaults(JsonObject schema)
    {
        foreach (JsonObject node in SchemaNodes(schema))
        {
            if (node["default"] is JsonObject value)
            {
                var dropped = new List<string>();
                SchemaPruning.PruneValue(value, node, dropped);
            }
        }
    }

    /// <summary>Every schema node below and including <paramref name="schema"/> (properties, items, additionalProperties).</summary>
    public static IEnumerable<JsonObject> SchemaNodes(JsonObject schema)
    {
        yield return schema;
        if (schema["properties"] is JsonObject properties)
        {
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                if (property.Value is JsonObject child)
                {
                    foreach (JsonObject node in SchemaNodes(child))
                    {
                        yield return node;
                    }
                }
            }
        }

        foreach (string keyword in new[] { "items", "additionalProperties" })
        {
            if (schema[keyword] is JsonObject child)
            {
                foreach (JsonObject node in SchemaNodes(child))
                {
                    yield return node;
                }
            }
        }
    }
}
