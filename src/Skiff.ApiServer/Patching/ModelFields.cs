using System.Reflection;
using System.Text.Json.Serialization;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// Walks the <c>k8s.Models</c> types by their JSON names, so a patch for a Deployment can find the patch metadata of
/// spec.template.spec.containers[].env. Nothing is cached: no static mutable state (STYLE.md §8), and a reflection
/// lookup per patched object level is cheap next to the JSON work.
/// </summary>
internal static class ModelFields
{
    /// <summary>The CLR type of <paramref name="jsonField"/> inside a value of <paramref name="parent"/>, or null when unknown.</summary>
    public static Type? FieldType(Type? parent, string jsonField)
    {
        if (parent is null)
        {
            return null;
        }

        // Maps such as labels or resources.limits have free-form keys: every value has the dictionary's value type.
        if (DictionaryValueType(parent) is { } valueType)
        {
            return valueType;
        }

        foreach (PropertyInfo property in parent.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            JsonPropertyNameAttribute? name = property.GetCustomAttribute<JsonPropertyNameAttribute>();
            if (name is not null && string.Equals(name.Name, jsonField, StringComparison.Ordinal))
            {
                return property.PropertyType;
            }
        }

        return null;
    }

    /// <summary>The element type of a list type (IList&lt;T&gt;, List&lt;T&gt;, T[]), or null.</summary>
    public static Type? ElementType(Type? listType)
    {
        if (listType is null || listType == typeof(string))
        {
            return null;
        }

        if (listType.IsArray)
        {
            return listType.GetElementType();
        }

        return FindGeneric(listType, typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    private static Type? DictionaryValueType(Type type) =>
        FindGeneric(type, typeof(IDictionary<,>)) is { } dictionary && dictionary.GetGenericArguments()[0] == typeof(string)
            ? dictionary.GetGenericArguments()[1]
            : null;

    private static Type? FindGeneric(Type type, Type openGeneric)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == openGeneric)
        {
            return type;
        }

        return Array.Find(type.GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == openGeneric);
    }
}
