using System.Collections.Frozen;

namespace Skiff.Machinery.Catalog;

/// <summary>One immutable state of a <see cref="ResourceCatalog"/>: the resources and their indexes.</summary>
internal sealed class CatalogSnapshot
{
    private readonly FrozenDictionary<(string Group, string Version, string Plural), ResourceInfo> _byResource;
    private readonly FrozenDictionary<(string Group, string Version, string Kind), ResourceInfo> _byKind;

    /// <summary>Indexes <paramref name="resources"/>; throws when two share a group, version and plural (or kind).</summary>
    public CatalogSnapshot(IReadOnlyList<ResourceInfo> resources, long generation)
    {
        Resources = resources;
        Generation = generation;
        _byResource = resources.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
        _byKind = resources.ToFrozenDictionary(r => (r.Group, r.Version, r.Kind));
        GroupVersions = resources.Select(r => (r.Group, r.Version)).Distinct().ToList();
    }

    public IReadOnlyList<ResourceInfo> Resources { get; }

    public IReadOnlyList<(string Group, string Version)> GroupVersions { get; }

    public long Generation { get; }

    public ResourceInfo? Find(string group, string version, string plural) =>
        _byResource.TryGetValue((group, version, plural), out ResourceInfo? info) ? info : null;

    public ResourceInfo? FindKind(string group, string version, string kind) =>
        _byKind.TryGetValue((group, version, kind), out ResourceInfo? info) ? info : null;
}
