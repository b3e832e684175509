using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1, YAML or JSON), as <c>skiff server --scheduler-config</c>
/// reads it: the profiles to serve, built from <see cref="PluginRegistry"/>, and the scheduler-wide settings Skiff uses.
/// </summary>
/// <param name="Profiles">One per schedulerName, in file order; the default profile when the file lists none.</param>
/// <param name="Parallelism">Workers for Filter and Score (upstream's parallelism); null: the scheduler's default.</param>
public sealed record SchedulerConfiguration(IReadOnlyList<Profile> Profiles, int? Parallelism)
{
    /// <summary>Reads and validates the file; throws <see cref="SchedulerConfigurationException"/> naming every bad field.</summary>
    public static SchedulerConfiguration Load(string path, PluginFactoryContext? context = null, PluginRegistry? registry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new SchedulerConfigurationException($"reading scheduler configuration {path}: {exception.Message}", exception);
        }

        return Parse(text, context, registry);
    }

    /// <summary>The profiles of the file at <paramref name="path"/>; see <see cref="Load"/>.</summary>
    public static IReadOnlyList<Profile> LoadProfiles(string path, NamespaceLabelsLookup? namespaceLabels = null) =>
        Load(path, new PluginFactoryContext(namespaceLabels)).Profiles;

    /// <summary>Reads and validates configuration text (YAML or JSON).</summary>
    public static SchedulerConfiguration Parse(string text, PluginFactoryContext? context = null, PluginRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        registry ??= PluginRegistry.Default;
        context ??= new PluginFactoryContext();
        (IReadOnlyList<ProfileSpec> specs, int? parallelism) = new SchedulerConfigurationParser(registry).Parse(text);
        return new SchedulerConfiguration([.. specs.Select(s => ProfileBuilder.Build(s, registry, context))], parallelism);
    }

    /// <summary>Upstream's default profile under <paramref name="schedulerName"/>: the registry's default plugins and weights.</summary>
    public static Profile CreateDefaultProfile(string schedulerName, PluginFactoryContext? context = null, PluginRegistry? registry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerName);
        var spec = new ProfileSpec(schedulerName, null, new Dictionary<string, PluginSetSpec>(), new Dictionary<string, object?>());
        return ProfileBuilder.Build(spec, registry ?? PluginRegistry.Default, context ?? new PluginFactoryContext());
    }
}
