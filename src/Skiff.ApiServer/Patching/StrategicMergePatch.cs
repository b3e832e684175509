using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// Kubernetes strategic merge patch (<c>application/strategic-merge-patch+json</c>, what <c>kubectl apply</c>, <c>edit</c>,
/// <c>set image</c>, <c>rollout restart</c> and <c>cordon</c> send). Like a merge patch, but lists that upstream tags
/// <c>patchStrategy:"merge"</c> merge element by element (by their merge key, or as a set of primitives), and the
/// <c>$patch</c>, <c>$retainKeys</c>, <c>$setElementOrder/</c> and <c>$deleteFromPrimitiveList/</c> directives are honoured.
/// Follows upstream's server behaviour: nulls for absent fields are ignored and parallel directive lists are merged.
/// </summary>
public static partial class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder/";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    /// <summary>
    /// Applies <paramref name="patch"/> to a copy of <paramref name="original"/>; the inputs are not changed.
    /// </summary>
    /// <param name="original">The live object, as a JSON object.</param>
    /// <param name="patch">The patch, a JSON object.</param>
    /// <param name="modelType">
    /// The <c>k8s.Models</c> type of the object (typeof(V1Deployment)), whose fields lead to the patch metadata.
    /// Null or a type without metadata (a custom resource) degrades to merge-patch semantics: maps merge, lists replace.
    /// </param>
    /// <exception cref="Skiff.Machinery.Errors.StatusException">400 when the patch is malformed; 422 when it does not fit the object.</exception>
    public static JsonObject Apply(JsonNode original, JsonNode patch, Type? modelType)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(patch);
        if (patch is not JsonObject patchObject)
        {
            throw PatchErrors.Malformed("a strategic merge patch must be a JSON object");
        }

        if (original is not JsonObject originalObject)
        {
            throw new ArgumentException("The object to patch must be a JSON object.", nameof(original));
        }

        return MergeMap((JsonObject)originalObject.DeepClone(), patchObject, modelType, string.Empty);
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="original"/> (which this may change) and returns the result.</summary>
    private static JsonObject MergeMap(JsonObject original, JsonObject patch, Type? type, string path)
    {
        if (patch.TryGetPropertyValue(PatchDirective, out JsonNode? directive))
        {
            switch (DirectiveValue(directive))
            {
                case "replace":
                    var replacement = new JsonObject();
                    foreach ((string field, JsonNode? value) in patch)
                    {
                        if (!IsDirective(field) && value is not null)
                        {
                            replacement[field] = Materialize(value, type, field, Join(path, field));
                        }
                    }

                    return replacement;
                case "delete":
                    return [];
                default:
                    throw PatchErrors.Malformed($"unknown patch type \"{directive?.ToJsonString()}\" at {Describe(path)}; expected \"replace\" or \"delete\"");
            }
        }

        if (patch.TryGetPropertyValue(RetainKeysDirective, out JsonNode? retainKeys))
        {
            ApplyRetainKeys(original, patch, retainKeys, path);
        }

        foreach ((string key, JsonNode? value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                DeleteFromPrimitiveList(original, key[DeleteFromPrimitiveListPrefix.Length..], value, path);
            }
        }

        // $setElementOrder needs the list as it was before the merge, to know where server-only elements were.
        var liveLists = new Dictionary<string, JsonArray?>(StringComparer.Ordinal);
        foreach ((string key, _) in patch)
        {
            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                string field = key[SetElementOrderPrefix.Length..];
                liveLists[field] = original.TryGetPropertyValue(field, out JsonNode? live) ? live?.DeepClone() as JsonArray : null;
            }
        }

        foreach ((string field, JsonNode? value) in patch)
        {
            if (!IsDirective(field))
            {
                MergeField(original, field, value, type, Join(path, field));
            }
        }

        foreach ((string key, JsonNode? value) in patch)
        {
            if (key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                string field = key[SetElementOrderPrefix.Length..];
                string? mergeKey = type is null ? null : PatchMetadata.For(type, field)?.MergeKey;
                SetElementOrder(original, field, value, patch[field] as JsonArray, liveLists[field], mergeKey, path);
            }
        }

        return original;
    }

    private static void MergeField(JsonObject original, string field, JsonNode? patchValue, Type? type, string path)
    {
        // Upstream's server ignores a null for a field that is not there rather than storing it.
        if (patchValue is null)
        {
            original.Remove(field);
            return;
        }

        original.TryGetPropertyValue(field, out JsonNode? current);
        PatchFieldMetadata? metadata = type is null ? null : PatchMetadata.For(type, field);
        Type? fieldType = ModelFields.FieldType(type, field);
        switch (patchValue)
        {
            case JsonObject patchObject when current is JsonObject currentObject && metadata?.IsReplace != true:
                JsonObject merged = MergeMap(currentObject, patchObject, fieldType, path);
                if (!ReferenceEquals(merged, currentObject))
                {
                    original[field] = merged;
                }

                break;
            case JsonArray patchArray when metadata?.IsMerge == true && current is JsonArray or null:
                original[field] = MergeList(current as JsonArray, patchArray, ModelFields.ElementType(fieldType), metadata.MergeKey, path);
                break;
            default:
                original[field] = Materialize(patchValue, type, field, path);
                break;
        }
    }

    /// <summary>
    /// A patch value that lands where nothing of its shape exists: merged into nothing, so its directives and
    /// nulls are resolved instead of being stored verbatim.
    /// </summary>
    private static JsonNode Materialize(JsonNode patchValue, Type? parentType, string field, string path)
    {
        Type? fieldType = ModelFields.FieldType(parentType, field);
        PatchFieldMetadata? metadata = parentType is null ? null : PatchMetadata.For(parentType, field);
        return patchValue switch
        {
            JsonObject patchObject when metadata?.IsReplace != true => MergeMap([], patchObject, fieldType, path),
            JsonArray patchArray when metadata?.IsMerge == true => MergeList(null, patchArray, ModelFields.ElementType(fieldType), metadata.MergeKey, path),
            _ => patchValue.DeepClone(),
        };
    }

    /// <summary>
    /// <c>$retainKeys</c> lists the fields that survive, so switching a union (Deployment strategy RollingUpdate → Recreate)
    /// also drops the member of the old choice.
    /// </summary>
    private static void ApplyRetainKeys(JsonObject original, JsonObject patch, JsonNode? retainKeys, string path)
    {
        if (retainKeys is not JsonArray list)
        {
            throw PatchErrors.Malformed($"invalid patch format of retainKeys at {Describe(path)}: $retainKeys must be a list of field names");
        }

        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonNode? name in list)
        {
            keep.Add(name is JsonValue value && value.TryGetValue(out string? text)
                ? text
                : throw PatchErrors.Malformed($"invalid patch format of retainKeys at {Describe(path)}: $retainKeys must be a list of field names"));
        }

        foreach ((string field, JsonNode? value) in patch)
        {
            if (value is not null && !IsDirective(field) && !keep.Contains(field))
            {
                throw PatchErrors.Malformed($"invalid patch format of retainKeys at {Describe(path)}: field \"{field}\" is set but not listed in $retainKeys");
            }
        }

        foreach (string field in original.Select(p => p.Key).Where(f => !keep.Contains(f)).ToList())
        {
            original.Remove(field);
        }
    }

    private static string? DirectiveValue(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    private static bool IsDirective(string key) =>
        key == PatchDirective
        || key == RetainKeysDirective
        || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)
        || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal);

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string Describe(string path) => path.Length == 0 ? "the top level" : path;
}
