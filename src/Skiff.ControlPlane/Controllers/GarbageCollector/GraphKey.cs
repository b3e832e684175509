using Skiff.Machinery.Catalog;

namespace Skiff.ControlPlane.Controllers.GarbageCollector;

/// <summary>
/// Which object a garbage collector work item is about, across every resource: the resource (group, version, plural) and the
/// object's namespace and name, written as one queue key <c>group/version/plural/namespace/name</c> (empty group for core,
/// empty namespace for cluster-scoped objects; names cannot contain a slash).
/// </summary>
internal readonly record struct GraphKey(ResourceInfo Resource, string? Namespace, string Name)
{
    public override string ToString() => $"{Resource.Group}/{Resource.Version}/{Resource.Plural}/{Namespace}/{Name}";

    public static bool TryParse(string key, ResourceCatalog catalog, out GraphKey parsed)
    {
        parsed = default;
        string[] parts = key.Split('/');
        if (parts.Length != 5 || catalog.Find(parts[0], parts[1], parts[2]) is not { } resource)
        {
            return false;
        }

        parsed = new GraphKey(resource, parts[3].Length == 0 ? null : parts[3], parts[4]);
        return true;
    }
}
