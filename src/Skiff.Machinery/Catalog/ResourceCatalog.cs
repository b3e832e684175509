using System.Collections.Immutable;
using System.Reflection;
using k8s.Models;

namespace Skiff.Machinery.Catalog;

/// <summary>
/// Every resource Skiff serves. Built-in group, version, kind and plural come from the models' <see cref="KubernetesEntityAttribute"/>;
/// scope, verbs, short names, categories and subresources are upstream facts listed in <see cref="UpstreamResources"/>.
/// <see cref="BuiltIn"/> never changes; a catalog from <see cref="CreateExtensible"/> also serves custom resources, which the
/// API server adds and removes while it runs. Readers never lock: every read goes to one immutable snapshot, and a change
/// swaps in a new snapshot (its <see cref="Generation"/> grows).
/// </summary>
public sealed class ResourceCatalog
{
    private readonly IReadOnlyList<ResourceInfo> _builtIn;
    private readonly Lock _writeLock = new();
    private ImmutableSortedDictionary<string, IReadOnlyList<ResourceInfo>> _custom = ImmutableSortedDictionary.Create<string, IReadOnlyList<ResourceInfo>>(StringComparer.Ordinal);
    private volatile CatalogSnapshot _snapshot;

    private ResourceCatalog(IReadOnlyList<ResourceInfo> builtIn, bool extensible)
    {
        _builtIn = builtIn;
        IsExtensible = extensible;
        _snapshot = new CatalogSnapshot(builtIn, 0);
    }

    /// <summary>The catalog of built-in kinds, in discovery order. It never changes.</summary>
    public static ResourceCatalog BuiltIn { get; } = new(Build(), extensible: false);

    /// <summary>True when custom resources may be added (false for <see cref="BuiltIn"/>).</summary>
    public bool IsExtensible { get; }

    /// <summary>Counts the changes; readers that cache something built from the catalog rebuild when it moves.</summary>
    public long Generation => _snapshot.Generation;

    /// <summary>Every resource, in discovery order (kubectl expands categories in this order): built-in ones, then custom ones.</summary>
    public IReadOnlyList<ResourceInfo> Resources => _snapshot.Resources;

    /// <summary>Served group/versions in discovery order; a group's first version is its preferred one.</summary>
    public IReadOnlyList<(string Group, string Version)> GroupVersions => _snapshot.GroupVersions;

    /// <summary>A new catalog that starts with the built-in kinds and can serve custom resources.</summary>
    public static ResourceCatalog CreateExtensible() => new(BuiltIn._builtIn, extensible: true);

    public ResourceInfo? Find(string group, string version, string plural) => _snapshot.Find(group, version, plural);

    public ResourceInfo? FindKind(string group, string version, string kind) => _snapshot.FindKind(group, version, kind);

    /// <summary>
    /// Serves <paramref name="resources"/> (the versions of one custom resource) under <paramref name="owner"/> (the CRD's name),
    /// replacing what that owner served before. Throws when one of them is already served by someone else; the caller checks
    /// names first (a conflict is the CRD's NamesAccepted=False, not an exception).
    /// </summary>
    public void SetCustomResources(string owner, IReadOnlyList<ResourceInfo> resources)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(resources);
        if (!IsExtensible)
        {
            throw new InvalidOperationException("The built-in catalog cannot serve custom resources; use ResourceCatalog.CreateExtensible().");
        }

        lock (_writeLock)
        {
            Publish(_custom.SetItem(owner, [.. resources]));
        }
    }

    /// <summary>Stops serving what <paramref name="owner"/> served; false when it served nothing.</summary>
    public bool RemoveCustomResources(string owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_writeLock)
        {
            if (!_custom.ContainsKey(owner))
            {
                return false;
            }

            Publish(_custom.Remove(owner));
        }
        return true;
    }

    /// <summary>Builds and swaps in the snapshot for <paramref name="custom"/>; throws (changing nothing) on a duplicate.</summary>
    private void Publish(ImmutableSortedDictionary<string, IReadOnlyList<ResourceInfo>> custom)
    {
        // Custom resources follow the built-in ones, grouped by group, each group's versions in upstream's priority order
        // (v1 before v1beta1 before v1alpha1), so a group's first version is its preferred one.
        ResourceInfo[] customResources = [.. custom.Values.SelectMany(r => r)
            .OrderBy(r => r.Group, StringComparer.Ordinal)
            .ThenBy(r => r.Version, KubeVersionComparer.Instance)
            .ThenBy(r => r.Plural, StringComparer.Ordinal)];
        CatalogSnapshot snapshot;
        try
        {
            snapshot = new CatalogSnapshot([.. _builtIn, .. customResources], _snapshot.Generation + 1);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException("A custom resource has the group, version and plural (or kind) of a resource already served.", ex);
        }

        _custom = custom;
        _snapshot = snapshot;
    }

    private static List<ResourceInfo> Build()
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

        return resources;
    }
}
