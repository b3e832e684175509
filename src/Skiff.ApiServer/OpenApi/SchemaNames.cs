using System.Collections.Frozen;
using System.Reflection;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// Maps k8s.Models CLR types to upstream's OpenAPI schema names (io.k8s.api.core.v1.PodSpec). The models carry no package, so:
/// <list type="number">
/// <item>Kinds with <see cref="KubernetesEntityAttribute"/> take their group and version from it.</item>
/// <item>apimachinery types (ObjectMeta, LabelSelector, Condition, ...), Quantity, IntOrString and Time are fixed names.</item>
/// <item>A group-prefixed model name (Rbacv1Subject, Corev1EventSeries) names its package.</item>
/// <item>Any other nested type belongs to the group of the kinds (same version prefix) that reach it through their properties;
///   when several groups reach it, core wins (every group imports core, core imports none), then the alphabetically first.</item>
/// </list>
/// The ownership map is built once per instance from every kind in the models assembly, so a name never depends on what is served.
/// </summary>
internal sealed partial class SchemaNames
{
    public const string QuantityName = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    public const string IntOrStringName = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    public const string TimeName = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
    private const string MetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";

    // Types defined in k8s.io/apimachinery/pkg/apis/meta/v1 that the models name with a plain V1 prefix.
    private static readonly FrozenSet<string> s_metaTypes = new[]
    {
        "APIGroup", "APIGroupList", "APIResource", "APIResourceList", "APIVersions", "Condition", "DeleteOptions",
        "GroupVersionForDiscovery", "LabelSelector", "LabelSelectorRequirement", "ListMeta", "ManagedFieldsEntry", "ObjectMeta",
        "OwnerReference", "Preconditions", "ServerAddressByClientCIDR", "Status", "StatusCause", "StatusDetails", "WatchEvent",
    }.ToFrozenSet();

    private readonly FrozenDictionary<Type, string> _owners;

    public SchemaNames(Assembly models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _owners = BuildOwners(models);
    }

    /// <summary>The schema name of a model type, e.g. io.k8s.api.apps.v1.DeploymentSpec.</summary>
    public string NameOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type == typeof(ResourceQuantity))
        {
            return QuantityName;
        }

        if (type == typeof(IntOrString))
        {
            return IntOrStringName;
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return TimeName;
        }

        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity && !IsMeta(type))
        {
            return $"{Package(entity.Group, entity.ApiVersion)}.{entity.Kind}";
        }

        Match prefixed = GroupPrefixed().Match(type.Name);
        if (prefixed.Success)
        {
            string group = prefixed.Groups["group"].Value.ToLowerInvariant();
            return $"{Package(group == "core" ? "" : group, prefixed.Groups["version"].Value)}.{prefixed.Groups["name"].Value}";
        }

        (string version, string name) = SplitVersion(type.Name);
        if (IsMeta(type))
        {
            return $"{MetaPackage}.{name}";
        }

        string owner = _owners.TryGetValue(type, out string? found) ? found : "";
        return $"{Package(owner, version)}.{name}";
    }

    /// <summary>"io.k8s.api.apps.v1" for ("apps", "v1"); the first DNS label of the group names the Go package.</summary>
    public static string Package(string group, string version)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group == "apiextensions.k8s.io" || group == "apiextensions")
        {
            return $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}";
        }

        if (group == "apiregistration.k8s.io" || group == "apiregistration")
        {
            return $"io.k8s.kube-aggregator.pkg.apis.apiregistration.{version}";
        }

        string package = group.Length == 0 ? "core" : group.Split('.')[0];
        return $"io.k8s.api.{package}.{version}";
    }

    private static bool IsMeta(Type type) =>
        type.Name.StartsWith("V1", StringComparison.Ordinal) && s_metaTypes.Contains(type.Name[2..]);

    private static (string Version, string Name) SplitVersion(string clrName)
    {
        Match match = VersionPrefix().Match(clrName);
        return match.Success ? (match.Groups["version"].Value.ToLowerInvariant(), match.Groups["name"].Value) : ("v1", clrName);
    }

    private static FrozenDictionary<Type, string> BuildOwners(Assembly models)
    {
        var candidates = new Dictionary<Type, SortedSet<string>>();
        foreach (Type kind in models.GetExportedTypes())
        {
            if (kind.GetCustomAttribute<KubernetesEntityAttribute>() is not { } entity)
            {
                continue;
            }

            var seen = new HashSet<Type>();
            var pending = new Stack<Type>();
            pending.Push(kind);
            while (pending.TryPop(out Type? current))
            {
                foreach (Type child in ModelTypes.ReferencedModels(current))
                {
                    if (!seen.Add(child) || child.GetCustomAttribute<KubernetesEntityAttribute>() is not null)
                    {
                        continue;
                    }

                    pending.Push(child);
                    if (string.Equals(SplitVersion(child.Name).Version, entity.ApiVersion, StringComparison.OrdinalIgnoreCase))
                    {
                        if (!candidates.TryGetValue(child, out SortedSet<string>? groups))
                        {
                            groups = new SortedSet<string>(StringComparer.Ordinal);
                            candidates[child] = groups;
                        }

                        groups.Add(entity.Group ?? "");
                    }
                }
            }
        }

        // SortedSet puts "" (core) first, which is the rule: core wins, then the alphabetically first group.
        return candidates.ToFrozenDictionary(pair => pair.Key, pair => pair.Value.Min ?? "");
    }

    [GeneratedRegex("^(?<group>[A-Z][a-z]+)(?<version>v[0-9]+(?:(?:alpha|beta)[0-9]+)?)(?<name>[A-Z].*)$")]
    private static partial Regex GroupPrefixed();

    [GeneratedRegex("^(?<version>V[0-9]+(?:(?:alpha|beta)[0-9]+)?)(?<name>[A-Z].*)$")]
    private static partial Regex VersionPrefix();
}
