using System.Globalization;
using System.Text.Json.Nodes;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's rules for a structural schema (apiextensions v1 requires one per version): every specified field has a
/// type (unless int-or-string, preserve-unknown-fields or an embedded resource says otherwise), the root is an object,
/// root metadata may only restrict name and generateName, properties and additionalProperties exclude each other, arrays
/// have items, value validations (allOf/anyOf/oneOf/not) carry no types, defaults or extensions, and every default is valid
/// against its own schema.
/// </summary>
internal static class StructuralSchemaValidation
{
    private static readonly string[] s_compositeForbidden =
    [
        "type", "default", "nullable", "additionalProperties", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
        "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
    ];

    public static void Validate(JsonObject schema, string path, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(errors);
        if (Text(schema, "type") != "object")
        {
            if (Text(schema, "type") is { Length: > 0 } rootType)
            {
                errors.Invalid(path + ".type", rootType, "must be object at the root");
            }
            else
            {
                errors.Required(path + ".type", "must not be empty at the root");
            }
        }

        if (schema["properties"] is JsonObject properties && properties["metadata"] is JsonObject metadata)
        {
            string metadataPath = path + ".properties[metadata]";
            if (Text(metadata, "type") is { } metadataType && metadataType != "object")
            {
                errors.Invalid(metadataPath + ".type", metadataType, "must be object");
            }

            if (metadata["properties"] is JsonObject metaProperties && metaProperties.Any(p => p.Key is not ("name" or "generateName")))
            {
                errors.Forbidden(metadataPath, "must not specify anything other than name and generateName, but metadata is implicitly specified");
            }

            foreach (string key in metadata.Select(p => p.Key).Where(k => k is "additionalProperties" or "required" or "x-kubernetes-preserve-unknown-fields"))
            {
                errors.Forbidden(metadataPath + "." + key, "must not be specified for metadata");
            }
        }

        Node(schema, path, errors, isRoot: true);
    }

    private static void Node(JsonObject schema, string path, ValidationErrors errors, bool isRoot = false)
    {
        string? type = Text(schema, "type");
        bool intOrString = IsTrue(schema, "x-kubernetes-int-or-string");
        bool preserve = IsTrue(schema, "x-kubernetes-preserve-unknown-fields");
        bool embedded = IsTrue(schema, "x-kubernetes-embedded-resource");

        if (string.IsNullOrEmpty(type) && !intOrString && !preserve && !embedded && !isRoot)
        {
            errors.Required(path + ".type", "must not be empty for specified object fields");
        }

        if (intOrString && !string.IsNullOrEmpty(type))
        {
            errors.Invalid(path + ".type", type, "must be empty if x-kubernetes-int-or-string is true");
        }

        if (schema["x-kubernetes-preserve-unknown-fields"] is JsonValue keep && keep.TryGetValue(out bool keepValue) && !keepValue)
        {
            errors.Invalid(path + ".x-kubernetes-preserve-unknown-fields", false, "must be true or undefined");
        }

        if (embedded && type != "object")
        {
            errors.Invalid(path + ".type", type ?? string.Empty, "must be object if x-kubernetes-embedded-resource is true");
        }

        if (embedded && !preserve && schema["properties"] is not JsonObject)
        {
            errors.Required(path + ".properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields");
        }

        if (type == "array" && schema["items"] is not JsonObject)
        {
            errors.Required(path + ".items", "must be specified");
        }

        if (schema.ContainsKey("properties") && schema.ContainsKey("additionalProperties"))
        {
            errors.Forbidden(path + ".additionalProperties", "additionalProperties and properties are mutual exclusive");
        }

        if (schema["additionalProperties"] is JsonValue allows && allows.TryGetValue(out bool allowed) && !allowed)
        {
            errors.Forbidden(path + ".additionalProperties", "additionalProperties cannot be set to false");
        }

        if (IsTrue(schema, "uniqueItems"))
        {
            errors.Forbidden(path + ".uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
        }

        if (schema.ContainsKey("$ref"))
        {
            errors.Forbidden(path + ".$ref", "$ref is not supported");
        }

        if (schema["items"] is JsonArray)
        {
            errors.Forbidden(path + ".items", "items must be a schema object and not an array");
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                if (property.Value is JsonObject child)
                {
                    Node(child, $"{path}.properties[{property.Key}]", errors);
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            Node(items, path + ".items", errors);
        }

        if (schema["additionalProperties"] is JsonObject additional)
        {
            Node(additional, path + ".additionalProperties", errors);
        }

        foreach (string list in new[] { "allOf", "anyOf", "oneOf" })
        {
            if (schema[list] is JsonArray branches)
            {
                for (int i = 0; i < branches.Count; i++)
                {
                    if (branches[i] is JsonObject branch)
                    {
                        ValueValidation(branch, $"{path}.{list}[{i.ToString(CultureInfo.InvariantCulture)}]", errors);
                    }
                }
            }
        }

        if (schema["not"] is JsonObject not)
        {
            ValueValidation(not, path + ".not", errors);
        }

        if (schema.TryGetPropertyValue("default", out JsonNode? fallback))
        {
            Default(schema, fallback, path + ".default", errors);
        }
    }

    // Inside allOf/anyOf/oneOf/not only value validations are structural (int-or-string's anyOf of two types is the exception).
    private static void ValueValidation(JsonObject schema, string path, ValidationErrors errors)
    {
        foreach (string keyword in s_compositeForbidden)
        {
            if (schema.ContainsKey(keyword) && !(keyword == "type" && IsIntOrStringBranch(schema)))
            {
                errors.Forbidden(path + "." + keyword, "must be empty to be structural");
            }
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                if (property.Value is JsonObject child)
                {
                    ValueValidation(child, $"{path}.properties[{property.Key}]", errors);
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            ValueValidation(items, path + ".items", errors);
        }
    }

    private static bool IsIntOrStringBranch(JsonObject schema) => Text(schema, "type") is "integer" or "string";

    private static void Default(JsonObject schema, JsonNode? value, string path, ValidationErrors errors)
    {
        var found = new ValidationErrors();
        CustomResourceSchema.ValidateValue(value?.DeepClone(), schema, found);
        foreach (k8s.Models.V1StatusCause cause in found.Causes)
        {
            string field = cause.Field is { Length: > 0 } f && f != "<nil>" ? path + "." + f : path;
            errors.Invalid(field, value?.ToJsonString(), cause.Message ?? string.Empty);
        }
    }

    private static string? Text(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.TryGetValue(out string? text) ? text : null;

    private static bool IsTrue(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.TryGetValue(out bool flag) && flag;
}
