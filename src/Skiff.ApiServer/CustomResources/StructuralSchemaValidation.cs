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
    private static readonly (string Keyword, string Detail)[] s_nestedForbidden =
    [
        ("type", "must be empty to be structural"),
        ("additionalProperties", "must be undefined to be structural"),
        ("default", "must be undefined to be structural"),
        ("title", "must be empty to be structural"),
        ("description", "must be empty to be structural"),
        ("nullable", "must be false to be structural"),
        ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
        ("x-kubernetes-embedded-resource", "must be false to be structural"),
        ("x-kubernetes-int-or-string", "must be false to be structural"),
        ("x-kubernetes-list-map-keys", "must be empty to be structural"),
        ("x-kubernetes-list-type", "must be undefined to be structural"),
    ];

    private enum Level
    {
        Root,
        Item,
        Field,
    }

    public static void Validate(JsonObject schema, string path, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(errors);
        Node(schema, Level.Root, path, errors);
    }

    private static void Node(JsonObject schema, Level level, string path, ValidationErrors errors)
    {
        string? type = Text(schema, "type");
        bool intOrString = IsTrue(schema, "x-kubernetes-int-or-string");
        bool preserve = IsTrue(schema, "x-kubernetes-preserve-unknown-fields");
        bool embedded = IsTrue(schema, "x-kubernetes-embedded-resource");

        if (type == "array" && schema["items"] is not JsonObject)
        {
            errors.Required(path + ".items", "must be specified");
        }

        if (schema["items"] is JsonObject items)
        {
            Node(items, Level.Item, path + ".items", errors);
        }
        else if (schema["items"] is JsonArray)
        {
            errors.Forbidden(path + ".items", "items must be a schema object and not an array");
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                if (property.Value is JsonObject child)
                {
                    Node(child, Level.Field, $"{path}.properties[{property.Key}]", errors);
                }
            }
        }

        if (schema["additionalProperties"] is not null)
        {
            if (level == Level.Root)
            {
                errors.Forbidden(path + ".additionalProperties", "must not be used at the root");
            }

            if (schema["additionalProperties"] is JsonObject additional)
            {
                Node(additional, Level.Field, path + ".additionalProperties", errors);
            }
        }

        if (intOrString && preserve)
        {
            errors.Invalid(path + ".x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true");
        }

        if (intOrString && embedded)
        {
            errors.Invalid(path + ".x-kubernetes-embedded-resource", true, "must be false if x-kubernetes-int-or-string is true");
        }

        ValueValidations(schema, path, errors, skipAnyOf: IsIntOrStringAnyOf(schema["anyOf"]),
            skipFirstAllOfAnyOf: schema["allOf"] is JsonArray { Count: > 0 } allOf && allOf[0] is JsonObject first && IsIntOrStringAnyOf(first["anyOf"]));

        if (embedded && type != "object")
        {
            if (string.IsNullOrEmpty(type))
            {
                errors.Required(path + ".type", "must be object if x-kubernetes-embedded-resource is true");
            }
            else
            {
                errors.Invalid(path + ".type", type, "must be object if x-kubernetes-embedded-resource is true");
            }
        }
        else if (string.IsNullOrEmpty(type) && !intOrString && !preserve)
        {
            errors.Required(path + ".type", level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            });
        }

        if (embedded && schema["additionalProperties"] is not null)
        {
            errors.Forbidden(path + ".additionalProperties", "must not be used if x-kubernetes-embedded-resource is set");
        }

        if (level == Level.Root && !string.IsNullOrEmpty(type) && type != "object")
        {
            errors.Invalid(path + ".type", type, "must be object at the root");
        }

        if (level == Level.Root || embedded)
        {
            TypeMeta(schema, path, errors);
        }

        if (level == Level.Root && schema["properties"] is JsonObject rootProperties && rootProperties["metadata"] is JsonObject metadata && !IsPlainMetadata(metadata))
        {
            errors.Forbidden(path + ".properties[metadata]", "must not specify anything other than name and generateName, but metadata is implicitly specified");
        }

        if (embedded && !preserve && (schema["properties"] is not JsonObject embeddedProperties || embeddedProperties.Count == 0))
        {
            errors.Required(path + ".properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields");
        }

        // The apiextensions OpenAPI rules on top of structurality.
        if (intOrString && !string.IsNullOrEmpty(type))
        {
            errors.Invalid(path + ".type", type, "must be empty if x-kubernetes-int-or-string is true");
        }

        if (schema["x-kubernetes-preserve-unknown-fields"] is JsonValue keep && keep.TryGetValue(out bool keepValue) && !keepValue)
        {
            errors.Invalid(path + ".x-kubernetes-preserve-unknown-fields", false, "must be true or undefined");
        }

        if (schema["properties"] is not null && schema["additionalProperties"] is not null)
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

        if (schema["$ref"] is not null)
        {
            errors.Forbidden(path + ".$ref", "$ref is not supported");
        }

        if (schema.TryGetPropertyValue("default", out JsonNode? fallback) && level != Level.Root)
        {
            Default(schema, fallback, path + ".default", errors);
        }
    }

    private static void TypeMeta(JsonObject schema, string path, ValidationErrors errors)
    {
        if (schema["properties"] is not JsonObject properties)
        {
            return;
        }

        foreach ((string name, string type) in new[] { ("kind", "string"), ("apiVersion", "string"), ("metadata", "object") })
        {
            if (properties[name] is JsonObject field && Text(field, "type") != type)
            {
                errors.Invalid($"{path}.properties[{name}].type", Text(field, "type") ?? string.Empty, "must be " + type);
            }
        }
    }

    // Root metadata may carry its type, a default (checked elsewhere) and name/generateName restrictions, nothing else.
    private static bool IsPlainMetadata(JsonObject metadata)
    {
        foreach (KeyValuePair<string, JsonNode?> keyword in metadata)
        {
            bool allowed = keyword.Key switch
            {
                "type" or "default" => true,
                "properties" => keyword.Value is JsonObject p && p.All(f => f.Key is "name" or "generateName"),
                _ => false,
            };
            if (!allowed)
            {
                return false;
            }
        }

        return true;
    }

    private static void ValueValidations(JsonObject schema, string path, ValidationErrors errors, bool skipAnyOf, bool skipFirstAllOfAnyOf)
    {
        if (!skipAnyOf)
        {
            Nested(schema["anyOf"], path + ".anyOf", errors, skipFirstAnyOf: false);
        }

        Nested(schema["allOf"], path + ".allOf", errors, skipFirstAnyOf: skipFirstAllOfAnyOf);
        Nested(schema["oneOf"], path + ".oneOf", errors, skipFirstAnyOf: false);
        if (schema["not"] is JsonObject not)
        {
            NestedValueValidation(not, path + ".not", errors, skipAnyOf: false);
        }

        if (Text(schema, "pattern") is { } pattern)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                errors.Invalid(path + ".pattern", pattern, "must be a valid regular expression, but isn't: " + e.Message);
            }
        }
    }

    private static void Nested(JsonNode? list, string path, ValidationErrors errors, bool skipFirstAnyOf)
    {
        if (list is not JsonArray branches)
        {
            return;
        }

        for (int i = 0; i < branches.Count; i++)
        {
            if (branches[i] is JsonObject branch)
            {
                NestedValueValidation(branch, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", errors, skipAnyOf: skipFirstAnyOf && i == 0);
            }
        }
    }

    // Inside allOf/anyOf/oneOf/not only value validations are structural.
    private static void NestedValueValidation(JsonObject schema, string path, ValidationErrors errors, bool skipAnyOf)
    {
        ValueValidations(schema, path, errors, skipAnyOf, skipFirstAllOfAnyOf: false);
        if (schema["items"] is JsonObject items)
        {
            NestedValueValidation(items, path + ".items", errors, skipAnyOf: false);
        }

        if (schema["properties"] is JsonObject properties)
        {
            foreach (KeyValuePair<string, JsonNode?> property in properties)
            {
                if (property.Value is JsonObject child)
                {
                    NestedValueValidation(child, $"{path}.properties[{property.Key}]", errors, skipAnyOf: false);
                }
            }

            if (properties.ContainsKey("metadata"))
            {
                errors.Forbidden(path + ".properties[metadata]", "must not be specified in a nested context");
            }
        }

        foreach ((string keyword, string detail) in s_nestedForbidden)
        {
            if (schema[keyword] is not null && !(keyword is "nullable" or "x-kubernetes-preserve-unknown-fields" or "x-kubernetes-embedded-resource" or "x-kubernetes-int-or-string" && !IsTrue(schema, keyword)))
            {
                errors.Forbidden(path + "." + keyword, detail);
            }
        }
    }

    private static bool IsIntOrStringAnyOf(JsonNode? anyOf) =>
        anyOf is JsonArray { Count: 2 } pair && pair[0] is JsonObject first && pair[1] is JsonObject second &&
        first.Count == 1 && Text(first, "type") == "integer" && second.Count == 1 && Text(second, "type") == "string";

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
