using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Framework;

/// <summary>
/// An amount of node resources in the scheduler's units: milli-CPU, bytes of memory and ephemeral storage, a pod count,
/// and extended resources (hugepages-*, vendor.com/gpu, …) by name in their integer units.
/// </summary>
public sealed record Resources(long MilliCpu, long Memory, long EphemeralStorage, long Pods, IReadOnlyDictionary<string, long> Scalar)
{
    public static Resources Zero { get; } = new(0, 0, 0, 0, new Dictionary<string, long>(StringComparer.Ordinal));

    /// <summary>A node's <c>status.allocatable</c> (falling back to capacity).</summary>
    public static Resources Allocatable(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return From(node.Status?.Allocatable ?? node.Status?.Capacity, pods: null);
    }

    /// <summary>Converts a resource list; <paramref name="pods"/> overrides its <c>pods</c> entry.</summary>
    public static Resources From(IDictionary<string, ResourceQuantity>? list, long? pods)
    {
        long cpu = 0, memory = 0, storage = 0, count = 0;
        var scalar = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach ((string name, ResourceQuantity quantity) in list ?? new Dictionary<string, ResourceQuantity>())
        {
            switch (name)
            {
                case "cpu":
                    cpu = MilliValue(quantity);
                    break;
                case "memory":
                    memory = Value(quantity);
                    break;
                case "ephemeral-storage":
                    storage = Value(quantity);
                    break;
                case "pods":
                    count = Value(quantity);
                    break;
                default:
                    if (IsScalar(name))
                    {
                        scalar[name] = Value(quantity);
                    }

                    break;
            }
        }

        return new Resources(cpu, memory, storage, pods ?? count, scalar);
    }

    /// <summary>Extended and hugepages resources count; other names (e.g. a typo'd native one) are ignored, as upstream does.</summary>
    public static bool IsScalar(string name) =>
        name.StartsWith("hugepages-", StringComparison.Ordinal)
        || (name.Contains('/', StringComparison.Ordinal) && !name.StartsWith("kubernetes.io/", StringComparison.Ordinal));

    public Resources Add(Resources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Scalar.Count == 0)
        {
            // The dictionaries are never changed after construction, so this one can be shared.
            return new Resources(MilliCpu + other.MilliCpu, Memory + other.Memory, EphemeralStorage + other.EphemeralStorage, Pods + other.Pods, Scalar);
        }

        var scalar = new Dictionary<string, long>(Scalar, StringComparer.Ordinal);
        foreach ((string name, long value) in other.Scalar)
        {
            scalar[name] = scalar.GetValueOrDefault(name) + value;
        }

        return new Resources(MilliCpu + other.MilliCpu, Memory + other.Memory, EphemeralStorage + other.EphemeralStorage, Pods + other.Pods, scalar);
    }

    /// <summary>Each field the larger of the two (the init-container rule).</summary>
    public Resources Max(Resources other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var scalar = new Dictionary<string, long>(Scalar, StringComparer.Ordinal);
        foreach ((string name, long value) in other.Scalar)
        {
            scalar[name] = Math.Max(scalar.GetValueOrDefault(name), value);
        }

        return new Resources(
            Math.Max(MilliCpu, other.MilliCpu), Math.Max(Memory, other.Memory), Math.Max(EphemeralStorage, other.EphemeralStorage), Math.Max(Pods, other.Pods), scalar);
    }

    public Resources Negate() => new(-MilliCpu, -Memory, -EphemeralStorage, -Pods, Scalar.ToDictionary(kv => kv.Key, kv => -kv.Value, StringComparer.Ordinal));

    private static long MilliValue(ResourceQuantity quantity) => (long)Math.Ceiling(quantity.ToDecimal() * 1000m);

    private static long Value(ResourceQuantity quantity) => (long)Math.Ceiling(quantity.ToDecimal());
}
