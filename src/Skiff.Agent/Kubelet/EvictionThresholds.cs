using System.Globalization;
using k8s.Models;

namespace Skiff.Agent.Kubelet;

/// <summary>One hard eviction threshold such as <c>memory.available&lt;100Mi</c> or <c>nodefs.available&lt;10%</c>.</summary>
/// <param name="Signal">memory.available, nodefs.available, imagefs.available or pid.available.</param>
/// <param name="Quantity">An absolute amount, or null when <paramref name="Percentage"/> is given.</param>
/// <param name="Percentage">A share of the capacity (0–100), or null when <paramref name="Quantity"/> is given.</param>
public sealed record EvictionThreshold(string Signal, ResourceQuantity? Quantity, decimal? Percentage)
{
    /// <summary>The threshold as an amount of <paramref name="capacity"/> (bytes, pids).</summary>
    public decimal Amount(decimal capacity) => Quantity is { } q ? q.ToDecimal() : capacity * (Percentage ?? 0m) / 100m;

    public override string ToString() =>
        Signal + "<" + (Quantity?.ToString() ?? (Percentage ?? 0m).ToString(CultureInfo.InvariantCulture) + "%");
}

/// <summary>The kubelet's <c>--eviction-hard</c> thresholds: they are subtracted in allocatable and set the pressure conditions.</summary>
public sealed record EvictionThresholds(IReadOnlyList<EvictionThreshold> Items)
{
    public const string MemoryAvailable = "memory.available";
    public const string NodeFsAvailable = "nodefs.available";
    public const string ImageFsAvailable = "imagefs.available";
    public const string PidAvailable = "pid.available";

    // Declared before Default, whose initializer parses with it.
    private static readonly string[] s_signals = [MemoryAvailable, NodeFsAvailable, ImageFsAvailable, PidAvailable];

    /// <summary>The defaults of this kubelet: <c>memory.available&lt;100Mi,nodefs.available&lt;10%</c>.</summary>
    public static EvictionThresholds Default { get; } = Parse("memory.available<100Mi,nodefs.available<10%");

    /// <summary>No thresholds at all (the hollow simulation).</summary>
    public static EvictionThresholds None { get; } = new([]);

    /// <summary>The threshold for <paramref name="signal"/>, or null.</summary>
    public EvictionThreshold? Find(string signal) => Items.FirstOrDefault(t => t.Signal == signal);

    /// <summary>Parses <c>signal&lt;quantity</c> or <c>signal&lt;N%</c> items separated by commas; an empty text means none.</summary>
    /// <exception cref="FormatException">An item is malformed or names an unknown signal.</exception>
    public static EvictionThresholds Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var items = new List<EvictionThreshold>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int lt = item.IndexOf('<', StringComparison.Ordinal);
            if (lt <= 0 || lt == item.Length - 1)
            {
                throw new FormatException($"\"{item}\" is not SIGNAL<QUANTITY or SIGNAL<N%, such as memory.available<100Mi");
            }

            string signal = item[..lt];
            string value = item[(lt + 1)..];
            if (!s_signals.Contains(signal, StringComparer.Ordinal))
            {
                throw new FormatException($"\"{signal}\" is not an eviction signal ({string.Join(", ", s_signals)})");
            }

            if (items.Any(t => t.Signal == signal))
            {
                throw new FormatException($"\"{signal}\" is given twice");
            }

            if (value.EndsWith('%'))
            {
                if (!decimal.TryParse(value[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal percent) || percent is < 0 or > 100)
                {
                    throw new FormatException($"\"{value}\" in \"{item}\" is not a percentage between 0% and 100%");
                }

                items.Add(new EvictionThreshold(signal, null, percent));
            }
            else
            {
                items.Add(new EvictionThreshold(signal, ResourceReservations.ParseQuantity(value, item), null));
            }
        }

        return new EvictionThresholds(items);
    }

    public override string ToString() => string.Join(',', Items);
}
