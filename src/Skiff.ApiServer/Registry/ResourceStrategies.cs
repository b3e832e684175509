using System.Collections.Frozen;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Registry;

/// <summary>The strategy for each kind, chosen by group and kind.</summary>
internal sealed class ResourceStrategies
{
    private readonly FrozenDictionary<string, ResourceStrategy> _byKind;
    private readonly ResourceStrategy _default = new DefaultStrategy();
    private readonly ResourceStrategy _custom;

    /// <param name="strategies">The built-in kinds' strategies by "group/Kind".</param>
    /// <param name="custom">The strategy of every custom resource (the default strategy when none is given).</param>
    public ResourceStrategies(IEnumerable<KeyValuePair<string, ResourceStrategy>> strategies, ResourceStrategy? custom = null)
    {
        _byKind = strategies.ToFrozenDictionary(StringComparer.Ordinal);
        _custom = custom ?? _default;
    }

    public ResourceStrategy For(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.IsCustom)
        {
            return _custom;
        }

        return _byKind.TryGetValue($"{resource.Group}/{resource.Kind}", out ResourceStrategy? strategy) ? strategy : _default;
    }
}
