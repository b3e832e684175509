using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Registry;

/// <summary>
/// Where objects live in the store: <c>/&lt;group or "core"&gt;/&lt;resource&gt;/[&lt;namespace&gt;/]&lt;name&gt;</c>. The etcd backend
/// adds its own prefix (<c>/registry</c>). Versions of one group share a key space, as upstream stores one version per resource.
/// </summary>
internal static class StorageKeys
{
    /// <summary>The prefix holding every object of a resource.</summary>
    public static string ResourcePrefix(ResourceInfo resource) => $"/{GroupSegment(resource.Group)}/{resource.Plural}/";

    /// <summary>The prefix holding a resource's objects in one namespace (or all of them when null).</summary>
    public static string ListPrefix(ResourceInfo resource, string? ns) =>
        resource.Namespaced && ns is not null ? $"{ResourcePrefix(resource)}{ns}/" : ResourcePrefix(resource);

    public static string Object(ResourceInfo resource, string? ns, string name) =>
        resource.Namespaced ? $"{ResourcePrefix(resource)}{ns}/{name}" : $"{ResourcePrefix(resource)}{name}";

    /// <summary>The resource prefix of a key (<c>/apps/deployments/</c>), or null for a key outside that layout.</summary>
    public static string? PrefixOf(string key)
    {
        int first = key.IndexOf('/', 1);
        if (!key.StartsWith('/') || first < 0)
        {
            return null;
        }

        int second = key.IndexOf('/', first + 1);
        return second < 0 ? null : key[..(second + 1)];
    }

    private static string GroupSegment(string group) => group.Length == 0 ? "core" : group;
}
