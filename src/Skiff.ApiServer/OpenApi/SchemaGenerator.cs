using System.Reflection;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// Builds <c>components.schemas</c> for one document by reflection over the k8s.Models types reachable from its roots, shaped as
/// upstream's OpenAPI v3: references wrapped in <c>allOf</c>, int32/int64/double/byte formats, GVK extensions on kinds.
/// </summary>
internal sealed class SchemaGenerator
{
    /// <summary>The PATCH body schema; it has no model type.</summary>
    public const string PatchName = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

    private readonly SchemaNames _names;
    private readonly ModelDocumentation _docs;
    private readonly Func<Type, string, (string? Strategy, string? MergeKey)?>? _patchHints;
    private readonly SortedDictionary<string, JsonObject> _schemas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Type> _claimed = new(StringComparer.Ordinal);

    public SchemaGenerator(
        SchemaNames names,
        ModelDocumentation docs,
        Func<Type, string, (string? Strategy, string? MergeKey)?>? patchHints)
    {
        _names = names;
        _docs = docs;
        _patchHints = patchHints;
    }

    /// <summary>Adds the schema of a type and of everything it reaches; returns its "#/components/schemas/..." reference.</summary>
    public string Ref(Type type) => "#/components/schemas/" + Add(type);

    /// <summary>The schemas added so far, sorted by name, plus the fixed PATCH body schema. Call once: the nodes move into the result.</summary>
    public JsonObject Build()
    {
        var result = new JsonObject();
        _schemas[PatchName] = new JsonObject
        {
            ["description"] = "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
            ["type"] = "object",
        };
        foreach ((string name, JsonObject schema) in _schemas)
        {
            result[name] = schema;
        }

        return result;
    }

    private string Add(Type type)
    {
        string name = _names.NameOf(type);
        if (_claimed.ContainsKey(name))
        {
            // Already built (or in progress: recursive types such as JSONSchemaProps refer to themselves).
            return name;
        }

        _claimed[name] = type;
        _schemas[name] = type == typeof(ResourceQuantity) ? Quantity(type)
            : type == typeof(IntOrString) ? IntOrStringSchema(type)
            : type == typeof(DateTime) || type == typeof(DateTimeOffset) ? Time()
            : Model(type);
        return name;
    }

    private JsonObject Model(Type type)
    {
        var schema = new JsonObject();
        Describe(schema, _docs.OfType(type));
        schema["type"] = "object";
        var properties = new JsonObject();
        foreach ((PropertyInfo property, string jsonName) in ModelTypes.JsonProperties(type).OrderBy(p => p.JsonName, StringComparer.Ordinal))
        {
            JsonObject propertySchema = PropertySchema(property.PropertyType, _docs.OfProperty(property));
            if (_patchHints?.Invoke(type, jsonName) is { } hints)
            {
                if (hints.MergeKey is { Length: > 0 } mergeKey)
                {
                    propertySchema["x-kubernetes-patch-merge-key"] = mergeKey;
                }

                if (hints.Strategy is { Length: > 0 } strategy)
                {
                    propertySchema["x-kubernetes-patch-strategy"] = strategy;
                }
            }

            properties[jsonName] = propertySchema;
        }

        schema["properties"] = properties;

        // No "required": KubernetesClient 21's models mark no required members (no constructor parameter without a default, no JsonRequired), and
        // kubectl leaves required-field checks to the server (fieldValidation) anyway; explain then just omits "-required-".
        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            schema["x-kubernetes-group-version-kind"] = new JsonArray(
                new JsonObject { ["group"] = entity.Group ?? "", ["kind"] = entity.Kind, ["version"] = entity.ApiVersion });
        }

        return schema;
    }

    private JsonObject PropertySchema(Type type, string? description)
    {
        JsonObject schema = ValueSchema(type, wrapReference: true);
        Describe(schema, description);
        return schema;
    }

    private JsonObject ValueSchema(Type type, bool wrapReference)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (Primitive(type) is { } primitive)
        {
            return primitive;
        }

        if (ModelTypes.MapValueType(type) is { } value)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = ValueSchema(value, wrapReference: false) };
        }

        if (ModelTypes.ElementType(type) is { } element)
        {
            return new JsonObject { ["type"] = "array", ["items"] = ValueSchema(element, wrapReference: false) };
        }

        if (type == typeof(object))
        {
            // RawExtension, FieldsV1 and JSON values: any object.
            return new JsonObject { ["type"] = "object" };
        }

        string reference = Ref(type);
        bool isStruct = ModelTypes.IsModel(type);
        if (!wrapReference && !isStruct)
        {
            return new JsonObject { ["$ref"] = reference };
        }

        // OpenAPI 3.0 ignores siblings of $ref, so upstream wraps it in allOf to carry description and default.
        var wrapped = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = reference }) };
        if (isStruct)
        {
            wrapped["default"] = new JsonObject();
        }

        return wrapped;
    }

    private static JsonObject? Primitive(Type type)
    {
        if (type == typeof(string) || type.IsEnum)
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (type == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (type == typeof(int) || type == typeof(short) || type == typeof(byte))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int32" };
        }

        if (type == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = "int64" };
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return new JsonObject { ["type"] = "number", ["format"] = "double" };
        }

        if (type == typeof(byte[]))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        }

        return null;
    }

    private JsonObject Quantity(Type type)
    {
        var schema = new JsonObject();
        Describe(schema, _docs.OfType(type) ?? "Quantity is a fixed-point representation of a number, such as 100m, 1Gi or 2.");
        // oneOf, not "type", as upstream: kubectl explain then prints <Quantity> instead of <string>.
        schema["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "number" });
        return schema;
    }

    private JsonObject IntOrStringSchema(Type type)
    {
        var schema = new JsonObject();
        Describe(schema, _docs.OfType(type) ?? "IntOrString is a type that can hold an int32 or a string.");
        schema["format"] = "int-or-string";
        schema["oneOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
        schema["x-kubernetes-int-or-string"] = true;
        return schema;
    }

    private static JsonObject Time() => new()
    {
        ["description"] = "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
        ["format"] = "date-time",
        ["type"] = "string",
    };

    private static void Describe(JsonObject schema, string? description)
    {
        if (!string.IsNullOrEmpty(description))
        {
            schema["description"] = description;
        }
    }
}
