using System.Globalization;
using k8s.Models;

namespace Skiff.Agent.Kubelet;

/// <summary>Upstream's node allocatable: capacity minus kube-reserved, system-reserved and the hard eviction thresholds, never below zero.</summary>
public static class ResourceReservations
{
    /// <summary>
    /// allocatable[r] = capacity[r] − kubeReserved[r] − systemReserved[r] − the hard eviction threshold that guards r
    /// (memory.available for memory, nodefs.available for ephemeral-storage).
    /// </summary>
    public static Dictionary<string, ResourceQuantity> Allocatable(
        IReadOnlyDictionary<string, ResourceQuantity> capacity,
        IReadOnlyDictionary<string, ResourceQuantity> kubeReserved,
        IReadOnlyDictionary<string, ResourceQuantity> systemReserved,
        EvictionThresholds evictionHard)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        ArgumentNullException.ThrowIfNull(kubeReserved);
        ArgumentNullException.ThrowIfNull(systemReserved);
        ArgumentNullException.ThrowIfNull(evictionHard);
        var allocatable = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach ((string name, ResourceQuantity total) in capacity)
        {
            decimal value = total.ToDecimal();
            decimal reserved = Get(kubeReserved, name) + Get(systemReserved, name);
            string? signal = name switch
            {
                "memory" => EvictionThresholds.MemoryAvailable,
                "ephemeral-storage" => EvictionThresholds.NodeFsAvailable,
                _ => null,
            };
            if (signal is not null && evictionHard.Find(signal) is { } threshold)
            {
                reserved += threshold.Amount(value);
            }

            allocatable[name] = reserved == 0 ? total : Format(name, Math.Max(0, value - reserved));
        }

        return allocatable;
    }

    /// <summary>Parses <c>cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=1000</c>; an empty text means nothing reserved.</summary>
    /// <exception cref="FormatException">An item is not NAME=QUANTITY.</exception>
    public static Dictionary<string, ResourceQuantity> ParseReservation(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var reserved = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == item.Length - 1)
            {
                throw new FormatException($"\"{item}\" is not NAME=QUANTITY, such as cpu=100m or memory=256Mi");
            }

            string name = item[..eq];
            if (name is not ("cpu" or "memory" or "ephemeral-storage" or "pid"))
            {
                throw new FormatException($"\"{name}\" cannot be reserved (cpu, memory, ephemeral-storage, pid)");
            }

            reserved[name] = ParseQuantity(item[(eq + 1)..], item);
        }

        return reserved;
    }

    /// <summary>A non-negative resource quantity; <paramref name="context"/> names the item in the error.</summary>
    internal static ResourceQuantity ParseQuantity(string value, string context)
    {
        try
        {
            var quantity = new ResourceQuantity(value);
            if (quantity.ToDecimal() < 0)
            {
                throw new FormatException($"\"{value}\" in \"{context}\" is negative");
            }

            return quantity;
        }
        catch (Exception e) when (e is not FormatException)
        {
            throw new FormatException($"\"{value}\" in \"{context}\" is not a quantity such as 100m, 256Mi or 1Gi", e);
        }
    }

    private static decimal Get(IReadOnlyDictionary<string, ResourceQuantity> map, string name) =>
        map.TryGetValue(name, out ResourceQuantity? q) && q is not null ? q.ToDecimal() : 0m;

    // cpu in millicores, memory and storage in Ki when they divide, so kubectl shows familiar numbers.
    private static ResourceQuantity Format(string name, decimal value)
    {
        if (name == "cpu")
        {
            decimal milli = Math.Floor(value * 1000m);
            return new ResourceQuantity(milli % 1000m == 0
                ? (milli / 1000m).ToString("0", CultureInfo.InvariantCulture)
                : milli.ToString("0", CultureInfo.InvariantCulture) + "m");
        }

        decimal whole = Math.Floor(value);
        return new ResourceQuantity(whole % 1024m == 0 && whole > 0
            ? (whole / 1024m).ToString("0", CultureInfo.InvariantCulture) + "Ki"
            : whole.ToString("0", CultureInfo.InvariantCulture));
    }
}
