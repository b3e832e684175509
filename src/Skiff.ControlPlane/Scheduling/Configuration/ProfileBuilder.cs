using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// Turns a profile's plugin sets into a <see cref="Profile"/> as upstream does: each extension point's set is merged with the
/// defaults (disabled names, or "*", drop defaults; an enabled default is re-configured in place; other enabled plugins are
/// appended), then multiPoint is expanded into every point a plugin implements unless that point disables it; a plugin
/// enabled at a point explicitly comes first there and its weight wins. One instance per plugin serves all its points.
/// </summary>
internal static class ProfileBuilder
{
    public static Profile Build(ProfileSpec spec, PluginRegistry registry, PluginFactoryContext context)
    {
        // The defaults are a multiPoint set only, as upstream's.
        PluginSetSpec multiPoint = Merge([.. registry.DefaultPlugins.Select(d => new PluginSpec(d.Name, d.Weight))], spec.Set(ExtensionPoint.MultiPoint));
        var instances = new Dictionary<string, IPlugin?>(StringComparer.Ordinal);
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        var created = new List<(string Name, IPlugin Plugin)>();

        IPlugin? Instance(string name)
        {
            if (!instances.TryGetValue(name, out IPlugin? plugin))
            {
                PluginRegistration registration = registry.Find(name)
                    ?? throw new SchedulerConfigurationException($"plugin {ConfigReader.Quote(name)} is not registered");
                plugin = PluginRegistry.Create(registration, spec.PluginArgs.GetValueOrDefault(name), context);
                instances[name] = plugin;
                if (plugin is not null)
                {
                    created.Add((name, plugin));
                }
            }

            return plugin;
        }

        IReadOnlyList<string> Point(string point)
        {
            // Per-point sets have no defaults of their own: merging leaves them as written.
            PluginSetSpec set = spec.Set(point);
            var explicitlyEnabled = set.Enabled.Select(p => p.Name).Distinct(StringComparer.Ordinal).ToList();
            if (point == ExtensionPoint.Score)
            {
                foreach (PluginSpec p in set.Enabled)
                {
                    weights[p.Name] = p.Weight == 0 ? 1 : p.Weight;
                }
            }

            if (set.Disabled.Contains("*", StringComparer.Ordinal))
            {
                return explicitlyEnabled;
            }

            var overrides = new List<string>();
            var expanded = new List<string>();
            foreach (PluginSpec p in multiPoint.Enabled)
            {
                if (registry.Find(p.Name) is not { } registration || !PluginRegistry.Extends(registration, point)
                    || set.Disabled.Contains(p.Name, StringComparer.Ordinal) || expanded.Contains(p.Name, StringComparer.Ordinal))
                {
                    continue;
                }

                if (explicitlyEnabled.Contains(p.Name, StringComparer.Ordinal))
                {
                    overrides.Add(p.Name);
                    continue;
                }

                expanded.Add(p.Name);
                if (point == ExtensionPoint.Score)
                {
                    weights.TryAdd(p.Name, p.Weight == 0 ? 1 : p.Weight);
                }
            }

            return [.. overrides, .. expanded, .. explicitlyEnabled.Where(n => !overrides.Contains(n, StringComparer.Ordinal))];
        }

        var score = new List<(IScorePlugin Plugin, int Weight)>();
        foreach (string name in Point(ExtensionPoint.Score))
        {
            if (Instance(name) is IScorePlugin plugin)
            {
                score.Add((plugin, weights[name]));
            }
        }

        var points = new ProfileExtensionPoints
        {
            PreFilter = [.. Point(ExtensionPoint.PreFilter).Select(Instance).OfType<IPreFilterPlugin>()],
            Filter = [.. Point(ExtensionPoint.Filter).Select(Instance).OfType<IFilterPlugin>()],
            PreScore = [.. Point(ExtensionPoint.PreScore).Select(Instance).OfType<IPreScorePlugin>()],
            Score = score,
            PostFilter = [.. Point(ExtensionPoint.PostFilter).Select(Instance).OfType<IPostFilterPlugin>()],
        };

        // Points Skiff does not run (queueSort, bind, …) still validate and build their plugins, as upstream would.
        foreach (string point in ExtensionPoint.All.Except([ExtensionPoint.PreFilter, ExtensionPoint.Filter, ExtensionPoint.PreScore, ExtensionPoint.Score, ExtensionPoint.PostFilter]))
        {
            foreach (string name in Point(point))
            {
                Instance(name);
            }
        }

        // Profile.Plugins lists plugins in multiPoint order, then those enabled only at single points.
        List<string> multiPointOrder = [.. multiPoint.Enabled.Select(p => p.Name)];
        int Rank(string name) => multiPointOrder.IndexOf(name) is >= 0 and int i ? i : int.MaxValue;
        ProfilePlugin[] plugins = [.. created.OrderBy(c => Rank(c.Name)).Select(c => new ProfilePlugin(c.Plugin, weights.GetValueOrDefault(c.Name, 1)))];
        return new Profile(spec.SchedulerName, plugins, points, spec.PercentageOfNodesToScore);
    }

    /// <summary>Upstream's mergePluginSet for one point: the defaults, minus the disabled, re-configured in place, then the rest.</summary>
    private static PluginSetSpec Merge(IReadOnlyList<PluginSpec> defaults, PluginSetSpec custom)
    {
        var enabled = new List<PluginSpec>();
        var replaced = new HashSet<int>();
        if (!custom.Disabled.Contains("*", StringComparer.Ordinal))
        {
            foreach (PluginSpec plugin in defaults)
            {
                if (custom.Disabled.Contains(plugin.Name, StringComparer.Ordinal))
                {
                    continue;
                }

                int index = LastIndexOf(custom.Enabled, plugin.Name);
                if (index >= 0)
                {
                    replaced.Add(index);
                    enabled.Add(custom.Enabled[index]);
                }
                else
                {
                    enabled.Add(plugin);
                }
            }
        }

        for (int i = 0; i < custom.Enabled.Count; i++)
        {
            if (!replaced.Contains(i))
            {
                enabled.Add(custom.Enabled[i]);
            }
        }

        return new PluginSetSpec(enabled, custom.Disabled);
    }

    private static int LastIndexOf(IReadOnlyList<PluginSpec> plugins, string name)
    {
        for (int i = plugins.Count - 1; i >= 0; i--)
        {
            if (plugins[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
