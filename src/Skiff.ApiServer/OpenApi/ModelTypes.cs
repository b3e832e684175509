using System.Reflection;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Skiff.ApiServer.OpenApi;

/// <summary>Reflection over k8s.Models: which properties a model serializes and which model types they lead to.</summary>
internal static class ModelTypes
{
    /// <summary>The serialized properties of a model with their JSON names, in declaration order.</summary>
    public static IEnumerable<(PropertyInfo Property, string JsonName)> JsonProperties(Type model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (PropertyInfo property in model.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<JsonIgnoreAttribute>() is not null || property.GetIndexParameters().Length > 0)
            {
                continue;
            }

            string? name = property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name;
            if (name is not null)
            {
                yield return (property, name);
            }
        }
    }

    /// <summary>The model types a model's properties refer to (element and value types unwrapped).</summary>
    public static IEnumerable<Type> ReferencedModels(Type model)
    {
        foreach ((PropertyInfo property, _) in JsonProperties(model))
        {
            Type leaf = Leaf(property.PropertyType);
            if (IsModel(leaf))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>True for a k8s.Models class that becomes its own component schema.</summary>
    public static bool IsModel(Type type) =>
        type.IsClass && type.Namespace == typeof(V1Pod).Namespace && type.Assembly == typeof(V1Pod).Assembly
        && type != typeof(ResourceQuantity) && type != typeof(IntOrString);

    /// <summary>The element type of a list or the value type of a map, recursively; the type itself otherwise.</summary>
    public static Type Leaf(Type type)
    {
        while (true)
        {
            if (Nullable.GetUnderlyingType(type) is { } underlying)
            {
                type = underlying;
            }
            else if (ElementType(type) is { } element)
            {
                type = element;
            }
            else if (MapValueType(type) is { } value)
            {
                type = value;
            }
            else
            {
                return type;
            }
        }
    }

    public static Type? ElementType(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[]))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (MapValueType(type) is not null)
        {
            return null;
        }

        Type? enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }

    public static Type? MapValueType(Type type)
    {
        Type? map = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return map?.GetGenericArguments()[1];
    }
}
