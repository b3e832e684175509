using System.Text.Json.Nodes;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// One served version's structural schema (<c>spec.versions[].schema.openAPIV3Schema</c> of a CRD): defaults, pruning and
/// validation of custom objects, in that order, as upstream's apiextensions-apiserver applies them.
/// SEAM (issue 8): the crd-schema helper implements it; the crd-serve helper calls it.
/// </summary>
internal sealed class CustomResourceSchema
{
    private CustomResourceSchema(JsonObject? schema)
    {
        Schema = schema;
    }

    /// <summary>The openAPIV3Schema as given; null when the version has none (everything is kept).</summary>
    public JsonObject? Schema { get; }

    /// <summary>The schema of a version (null: no schema, nothing pruned or checked).</summary>
    public static CustomResourceSchema For(JsonObject? openApiV3Schema) => new(openApiV3Schema);

    /// <summary>Fills in the schema's <c>default</c> values where fields are missing (on decode, as upstream does).</summary>
    public void ApplyDefaults(JsonObject item) => _ = (Schema, item);

    /// <summary>
    /// Removes fields the schema does not declare (apiVersion, kind and metadata's known fields stay), unless under
    /// <c>x-kubernetes-preserve-unknown-fields</c>; every removed field's path goes to <paramref name="unknownFields"/>
    /// (fieldValidation Warn and Strict report them).
    /// </summary>
    public void Prune(JsonObject item, List<string> unknownFields) => _ = (Schema, item, unknownFields);

    /// <summary>Checks the object against the schema; each failure becomes a cause with its field path.</summary>
    public void Validate(JsonObject item, ValidationErrors errors) => _ = (Schema, item, errors);
}
