using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>Builds a plugin from its pluginConfig args (null: none given, use upstream's defaults).</summary>
public delegate IPlugin PluginFactory(object? args, PluginFactoryContext context);

/// <summary>
/// One plugin name a profile may enable. <see cref="Factory"/> is null for upstream plugins whose behaviour Skiff has built
/// in elsewhere or does not have (PrioritySort is the queue's order, DefaultBinder is pods/binding, the volume plugins): a
/// profile may name them, as upstream's default profile does, and nothing extra runs.
/// </summary>
/// <param name="Name">Upstream's plugin name.</param>
/// <param name="Factory">Null when nothing runs.</param>
/// <param name="ExtensionPoints">The extension points (as the configuration names them) the plugin extends.</param>
public sealed record PluginRegistration(string Name, PluginFactory? Factory, IReadOnlySet<string> ExtensionPoints)
{
    /// <summary>A plugin that runs, extending the points its type implements.</summary>
    public static PluginRegistration For<T>(string name, Func<object?, PluginFactoryContext, T> factory)
        where T : IPlugin
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new PluginRegistration(name, (args, context) => factory(args, context), ExtensionPoint.Of(typeof(T)));
    }

    /// <summary>A name that is accepted at <paramref name="points"/> but runs nothing.</summary>
    public static PluginRegistration BuiltIn(string name, params string[] points) =>
        new(name, null, new HashSet<string>(points, StringComparer.Ordinal));
}
