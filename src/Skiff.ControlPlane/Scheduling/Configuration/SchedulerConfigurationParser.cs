using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// Reads a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) into validated <see cref="ProfileSpec"/>s, applying
/// upstream's defaulting (one default profile when none is given, schedulerName default-scheduler, the top-level
/// percentageOfNodesToScore for profiles without their own) and reporting every invalid field at once.
/// </summary>
internal sealed class SchedulerConfigurationParser(PluginRegistry registry)
{
    public const string ApiVersion = "kubescheduler.config.k8s.io/v1";
    public const string Kind = "KubeSchedulerConfiguration";

    // Upstream fields Skiff accepts but does not act on (its leader election, client and debugging settings are its own).
    private static readonly string[] s_topLevelFields =
    [
        "apiVersion", "kind", "parallelism", "percentageOfNodesToScore", "profiles", "extenders", "leaderElection",
        "clientConnection", "enableProfiling", "enableContentionProfiling", "podInitialBackoffSeconds", "podMaxBackoffSeconds",
        "delayCacheUntilActive",
    ];

    private readonly ConfigReader _reader = new();

    public (IReadOnlyList<ProfileSpec> Profiles, int? Parallelism) Parse(string text)
    {
        YamlNode? root = Load(text);
        Dictionary<string, YamlNode> top = _reader.Object(root, string.Empty, s_topLevelFields)
            ?? throw new SchedulerConfigurationException($"the file does not hold a {Kind} object");
        string? apiVersion = _reader.String(top.GetValueOrDefault("apiVersion"), "apiVersion");
        string? kind = _reader.String(top.GetValueOrDefault("kind"), "kind");
        CheckTypeField("apiVersion", apiVersion, ApiVersion);
        CheckTypeField("kind", kind, Kind);
        if (apiVersion != ApiVersion || kind != Kind)
        {
            // Upstream cannot decode anything else either; other errors would only be noise.
            ThrowIfErrors();
        }

        long? parallelism = _reader.Integer(top.GetValueOrDefault("parallelism"), "parallelism");
        if (parallelism is <= 0 or > int.MaxValue)
        {
            _reader.Invalid("parallelism", parallelism.Value, "should be an integer greater than 0");
        }

        int? percentage = Percentage(top.GetValueOrDefault("percentageOfNodesToScore"), "percentageOfNodesToScore");
        if (_reader.List(top.GetValueOrDefault("extenders"), "extenders").Count > 0)
        {
            _reader.Forbidden("extenders", "scheduler extenders are not supported");
        }

        var profiles = new List<ProfileSpec>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        IReadOnlyList<YamlNode> items = _reader.List(top.GetValueOrDefault("profiles"), "profiles");
        for (int i = 0; i < items.Count; i++)
        {
            string path = ConfigReader.Index("profiles", i);
            ProfileSpec profile = ParseProfile(items[i], path, percentage);
            if (!names.Add(profile.SchedulerName))
            {
                _reader.Duplicate(ConfigReader.Field(path, "schedulerName"), profile.SchedulerName);
            }

            profiles.Add(profile);
        }

        if (profiles.Count == 0)
        {
            profiles.Add(new ProfileSpec(Profile.DefaultSchedulerName, percentage, new Dictionary<string, PluginSetSpec>(), new Dictionary<string, object?>()));
        }

        ThrowIfErrors();
        return (profiles, (int?)parallelism);
    }

    private static YamlNode? Load(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            throw new SchedulerConfigurationException($"the file is not valid YAML or JSON: line {exception.Start.Line}, column {exception.Start.Column}: {exception.Message}", exception);
        }

        return stream.Documents.Count switch
        {
            0 => throw new SchedulerConfigurationException($"the file is empty; it must hold a {Kind} object"),
            1 => stream.Documents[0].RootNode,
            _ => throw new SchedulerConfigurationException($"the file holds {stream.Documents.Count} YAML documents; it must hold exactly one {Kind}"),
        };
    }

    private void CheckTypeField(string field, string? value, string expected)
    {
        if (string.IsNullOrEmpty(value))
        {
            _reader.Required(field, $"must be {ConfigReader.Quote(expected)}");
        }
        else if (value != expected)
        {
            _reader.Unsupported(field, value, [expected]);
        }
    }

    private int? Percentage(YamlNode? node, string path)
    {
        long? value = _reader.Integer(node, path);
        if (value is < 0 or > 100)
        {
            _reader.Invalid(path, value.Value, "not in valid range [0-100]");
            return null;
        }

        return (int?)value;
    }

    private ProfileSpec ParseProfile(YamlNode node, string path, int? defaultPercentage)
    {
        Dictionary<string, YamlNode> fields = _reader.Object(node, path, "schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig") ?? [];
        string? name = _reader.String(fields.GetValueOrDefault("schedulerName"), ConfigReader.Field(path, "schedulerName"));
        int? percentage = Percentage(fields.GetValueOrDefault("percentageOfNodesToScore"), ConfigReader.Field(path, "percentageOfNodesToScore"));
        var plugins = new Dictionary<string, PluginSetSpec>(StringComparer.Ordinal);
        string pluginsPath = ConfigReader.Field(path, "plugins");
        Dictionary<string, YamlNode> points = _reader.Object(fields.GetValueOrDefault("plugins"), pluginsPath, [ExtensionPoint.MultiPoint, .. ExtensionPoint.All]) ?? [];
        foreach ((string point, YamlNode set) in points)
        {
            plugins[point] = ParsePluginSet(set, ConfigReader.Field(pluginsPath, point), point);
        }

        var args = new Dictionary<string, object?>(StringComparer.Ordinal);
        string configPath = ConfigReader.Field(path, "pluginConfig");
        IReadOnlyList<YamlNode> configs = _reader.List(fields.GetValueOrDefault("pluginConfig"), configPath);
        for (int i = 0; i < configs.Count; i++)
        {
            string entryPath = ConfigReader.Index(configPath, i);
            Dictionary<string, YamlNode> entry = _reader.Object(configs[i], entryPath, "name", "args") ?? [];
            string? plugin = _reader.String(entry.GetValueOrDefault("name"), ConfigReader.Field(entryPath, "name"));
            if (string.IsNullOrEmpty(plugin))
            {
                _reader.Required(ConfigReader.Field(entryPath, "name"));
                continue;
            }

            if (args.ContainsKey(plugin))
            {
                _reader.Duplicate(entryPath, plugin);
                continue;
            }

            if (registry.Find(plugin) is null)
            {
                NotRegistered(ConfigReader.Field(entryPath, "name"), plugin);
                continue;
            }

            args[plugin] = PluginArgsParser.Parse(_reader, plugin, entry.GetValueOrDefault("args"), ConfigReader.Field(entryPath, "args"));
        }

        return new ProfileSpec(string.IsNullOrEmpty(name) ? Profile.DefaultSchedulerName : name, percentage ?? defaultPercentage, plugins, args);
    }

    private PluginSetSpec ParsePluginSet(YamlNode node, string path, string point)
    {
        Dictionary<string, YamlNode> fields = _reader.Object(node, path, "enabled", "disabled") ?? [];
        var enabled = new List<PluginSpec>();
        string enabledPath = ConfigReader.Field(path, "enabled");
        IReadOnlyList<YamlNode> items = _reader.List(fields.GetValueOrDefault("enabled"), enabledPath);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(enabledPath, i);
            Dictionary<string, YamlNode> item = _reader.Object(items[i], itemPath, "name", "weight") ?? [];
            string namePath = ConfigReader.Field(itemPath, "name");
            string? name = _reader.String(item.GetValueOrDefault("name"), namePath);
            long? weight = _reader.Integer(item.GetValueOrDefault("weight"), ConfigReader.Field(itemPath, "weight"));
            if (weight is < 0 or > int.MaxValue)
            {
                _reader.Invalid(ConfigReader.Field(itemPath, "weight"), weight.Value, "must be a non-negative integer");
                weight = null;
            }

            if (string.IsNullOrEmpty(name))
            {
                _reader.Required(namePath);
            }
            else if (registry.Find(name) is not { } registration)
            {
                NotRegistered(namePath, name);
            }
            else if (point != ExtensionPoint.MultiPoint && !PluginRegistry.Extends(registration, point))
            {
                _reader.Invalid(namePath, ConfigReader.Quote(name), $"plugin does not extend {point}");
            }
            else
            {
                enabled.Add(new PluginSpec(name, (int)(weight ?? 0)));
            }
        }

        var disabled = new List<string>();
        string disabledPath = ConfigReader.Field(path, "disabled");
        items = _reader.List(fields.GetValueOrDefault("disabled"), disabledPath);
        for (int i = 0; i < items.Count; i++)
        {
            string itemPath = ConfigReader.Index(disabledPath, i);
            Dictionary<string, YamlNode> item = _reader.Object(items[i], itemPath, "name", "weight") ?? [];
            string? name = _reader.String(item.GetValueOrDefault("name"), ConfigReader.Field(itemPath, "name"));
            if (string.IsNullOrEmpty(name))
            {
                _reader.Required(ConfigReader.Field(itemPath, "name"));
            }
            else
            {
                // Disabling a name that is not enabled changes nothing, as upstream.
                disabled.Add(name);
            }
        }

        return new PluginSetSpec(enabled, disabled);
    }

    private void NotRegistered(string path, string name) =>
        _reader.Invalid(path, ConfigReader.Quote(name), $"no plugin is registered with this name (known: {string.Join(", ", registry.Names.Order(StringComparer.Ordinal))})");

    private void ThrowIfErrors()
    {
        if (_reader.Errors.Count > 0)
        {
            throw new SchedulerConfigurationException([.. _reader.Errors]);
        }
    }
}
