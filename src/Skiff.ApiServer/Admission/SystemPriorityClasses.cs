using k8s.Models;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// The PriorityClasses every cluster has (upstream's pkg/apis/scheduling constants): the API server creates them at start, and
/// names with the <c>system-</c> prefix are reserved for them.
/// </summary>
internal static class SystemPriorityClasses
{
    public const string Prefix = "system-";

    public const string NodeCritical = "system-node-critical";

    public const string ClusterCritical = "system-cluster-critical";

    /// <summary>The highest value a user-defined class may have (upstream's HighestUserDefinablePriority).</summary>
    public const int HighestUserDefinable = 1_000_000_000;

    /// <summary>The value of system-cluster-critical; system-node-critical is 1000 above it.</summary>
    public const int SystemCritical = 2 * HighestUserDefinable;

    public const string PreemptLowerPriority = "PreemptLowerPriority";

    public const string PreemptNever = "Never";

    /// <summary>Fresh copies (callers may mutate them).</summary>
    public static IReadOnlyList<V1PriorityClass> All() =>
    [
        Class(NodeCritical, SystemCritical + 1000, "Used for system critical pods that must not be moved from their current node."),
        Class(ClusterCritical, SystemCritical, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    public static bool IsSystemName(string? name) => name is NodeCritical or ClusterCritical;

    /// <summary>Why a class with a reserved name is not one of the system classes, or null when it is one.</summary>
    public static string? NotKnownProblem(string name, int value, bool globalDefault)
    {
        foreach (V1PriorityClass known in All())
        {
            if (known.Metadata.Name != name)
            {
                continue;
            }

            if (known.Value != value)
            {
                return $"value of {name} PriorityClass must be {known.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            }

            return globalDefault != (known.GlobalDefault ?? false)
                ? $"globalDefault of {name} PriorityClass must be {(known.GlobalDefault == true ? "true" : "false")}"
                : null;
        }

        return $"{name} is not a known system priority class";
    }

    private static V1PriorityClass Class(string name, int value, string description) => new()
    {
        ApiVersion = "scheduling.k8s.io/v1",
        Kind = "PriorityClass",
        Metadata = new V1ObjectMeta { Name = name },
        Value = value,
        Description = description,
    };
}
