using System.Collections.Frozen;
using System.Reflection;
using k8s.Models;

namespace Skiff.Machinery.Catalog;

/// <summary>
/// Every built-in resource Skiff serves. Group, version, kind and plural come from the models' <see cref="KubernetesEntityAttribute"/>;
/// scope, verbs, short names, categories and subresources are upstream facts listed in <see cref="UpstreamResources"/>.
/// </summary>
public sealed class ResourceCatalog
{
    private readonly FrozenDictionary<(string Group, string Version, string Plural), ResourceInfo> _byResource;
    private readonly FrozenDictionary<(string Group, string Version, string Kind), ResourceInfo> _byKind;

    private ResourceCatalog(IReadOnlyList<ResourceInfo> resources)
    {
        Resources = resources;
        _byResource = resources.ToFrozenDictionary(r => (r.Group, r.Version, r.Plural));
        _byKind = resources.ToFrozenDictionary(r => (r.Group, r.Version, r.Kind));
        GroupVersions = resources.Select(r => (r.Group, r.Version)).Distinct().ToList();
    }

    /// <summary>The catalog of built-in kinds, in discovery order.</summary>
    public static ResourceCatalog BuiltIn { get; } = Build();

    /// <summary>Every resource, in discovery order (kubectl expands categories in this order).</summary>
    public IReadOnlyList<ResourceInfo> Resources { get; }

    /// <summary>Served group/versions in discovery order; a group's first version is its preferred one.</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions { get; }

    public ResourceInfo? Find(string group, string version, string plural) =>
        _byResource.TryGetValue((group, version, plural), out ResourceInfo? info) ? info : null;

    public ResourceInfo? FindKind(string group, string version, string kind) =>
        _byKind.TryGetValue((group, version, kind), out ResourceInfo? info) ? info : null;

    private static ResourceCatalog Build()
    {
        var entities = new Dictionary<(string, string, string), (Type Type, KubernetesEntityAttribute Entity)>();
        var lists = new Dictionary<(string, string, string), Type>();
        foreach (Type type in typeof(V1Pod).Assembly.GetExportedTypes())
        {
            if (type.GetCustomAttribute<KubernetesEntityAttribute>() is not { } entity)
            {
                continue;
            }

            if (type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IItems<>)))
            {
                lists[(entity.Group, entity.ApiVersion, entity.Kind)] = type;
            }
            else
            {
                // Request-only kinds (Binding, the reviews) carry no plural; upstream's is the lower-cased kind plus "s".
                string plural = string.IsNullOrEmpty(entity.PluralName) ? entity.Kind.ToLowerInvariant() + "s" : entity.PluralName;
                entities[(entity.Group, entity.ApiVersion, plural)] = (type, entity);
            }
        }

        var resources = new List<ResourceInfo>();
        foreach (UpstreamResource upstream in UpstreamResources.All)
        {
            if (!entities.TryGetValue((upstream.Group, upstream.Version, upstream.Plural), out var found))
            {
                throw new InvalidOperationException($"k8s.Models has no type for {upstream.Group}/{upstream.Version} {upstream.Plural}");
            }

            lists.TryGetValue((upstream.Group, upstream.Version, found.Entity.Kind + "List"), out Type? listType);
            resources.Add(new ResourceInfo(
                upstream.Group,
                upstream.Version,
                found.Entity.Kind,
                upstream.Plural,
                found.Entity.Kind.ToLowerInvariant(),
                upstream.Namespaced,
                upstream.Verbs,
                upstream.ShortNames,
                upstream.Categories,
                upstream.Subresources,
                found.Type,
                listType));
        }

        return new ResourceCatalog(resources);
    }
}
