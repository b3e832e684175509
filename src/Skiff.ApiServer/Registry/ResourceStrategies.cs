using System.Collections.Frozen;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Registry;

/// <summary>The strategy for each kind, chosen by group and kind.</summary>
internal sealed class ResourceStrategies
{
    private readonly FrozenDictionary<string, ResourceStrategy> _byKind;
    private readonly ResourceStrategy _default = new DefaultStrategy();

    public ResourceStrategies(IEnumerable<KeyValuePair<string, ResourceStrategy>> strategies)
    {
        _byKind = strategies.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public ResourceStrategy For(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return _byKind.TryGetValue($"{resource.Group}/{resource.Kind}", out ResourceStrategy? strategy) ? strategy : _default;
    }
}
