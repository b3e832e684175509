using Skiff.ControlPlane.Scheduling.Plugins;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1, YAML or JSON), as <c>skiff server --scheduler-config</c>
/// reads it: validated once, then able to build fresh <see cref="Profile"/>s (plugins from <see cref="PluginRegistry"/>) for
/// every leadership term.
/// </summary>
public sealed class SchedulerConfiguration
{
    private readonly IReadOnlyList<ProfileSpec> _specs;
    private readonly PluginRegistry _registry;

    private SchedulerConfiguration(IReadOnlyList<ProfileSpec> specs, int? parallelism, PluginRegistry registry)
    {
        _specs = specs;
        _registry = registry;
        Parallelism = parallelism;

        // Building once surfaces any plugin that refuses its args now, at load, rather than when a term starts.
        _ = BuildProfiles(new PluginFactoryContext());
    }

    /// <summary>The schedulerNames served, in file order; default-scheduler alone when the file lists no profile.</summary>
    public IReadOnlyList<string> SchedulerNames => [.. _specs.Select(s => s.SchedulerName)];

    /// <summary>Workers for Filter and Score (upstream's parallelism); null: the scheduler's default.</summary>
    public int? Parallelism { get; }

    /// <summary>Reads and validates the file; throws <see cref="SchedulerConfigurationException"/> naming every bad field.</summary>
    public static SchedulerConfiguration Load(string path, PluginRegistry? registry = null)
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

        return Parse(text, registry);
    }

    /// <summary>Reads and validates configuration text (YAML or JSON).</summary>
    public static SchedulerConfiguration Parse(string text, PluginRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        registry ??= PluginRegistry.Default;
        (IReadOnlyList<ProfileSpec> specs, int? parallelism) = new SchedulerConfigurationParser(registry).Parse(text);
        return new SchedulerConfiguration(specs, parallelism, registry);
    }

    /// <summary>The profiles of the file at <paramref name="path"/>, built with <paramref name="namespaceLabels"/>; see <see cref="Load"/>.</summary>
    public static IReadOnlyList<Profile> LoadProfiles(string path, NamespaceLabelsLookup? namespaceLabels = null) =>
        Load(path).BuildProfiles(new PluginFactoryContext(namespaceLabels));

    /// <summary>
    /// Validates the file now (throwing <see cref="SchedulerConfigurationException"/>) and returns what
    /// <c>SchedulerOptions.Profiles</c> takes: fresh profiles per leadership term, without reading the file again.
    /// </summary>
    public static Func<PluginFactoryContext, IReadOnlyList<Profile>> LoadProfileFactory(string path)
    {
        SchedulerConfiguration configuration = Load(path);
        return configuration.BuildProfiles;
    }

    /// <summary>Upstream's default profile under <paramref name="schedulerName"/>: the registry's default plugins and weights.</summary>
    public static Profile CreateDefaultProfile(string schedulerName, PluginFactoryContext? context = null, PluginRegistry? registry = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(schedulerName);
        var spec = new ProfileSpec(schedulerName, null, new Dictionary<string, PluginSetSpec>(), new Dictionary<string, object?>());
        return ProfileBuilder.Build(spec, registry ?? PluginRegistry.Default, context ?? new PluginFactoryContext());
    }

    /// <summary>New plugin instances for every profile, one per schedulerName, in file order.</summary>
    public IReadOnlyList<Profile> BuildProfiles(PluginFactoryContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return [.. _specs.Select(s => ProfileBuilder.Build(s, _registry, context))];
    }
}
