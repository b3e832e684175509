using k8s.Models;

namespace Skiff.Machinery.Quota;

/// <summary>
/// Adds resource quantities exactly (decimal, not the library's double) and prints the total in the format of the first
/// quantity added, as upstream's Quantity.Add keeps its receiver's format: 128Mi + 64Mi is 192Mi, 100m + 200m is 300m.
/// </summary>
public sealed class QuantitySum
{
    private decimal _total;
    private ResourceQuantity.SuffixFormat? _format;

    public bool IsEmpty => _format is null;

    public void Add(ResourceQuantity? quantity)
    {
        if (quantity is null)
        {
            return;
        }

        _total += quantity.ToDecimal();
        _format ??= quantity.Format;
    }

    public void Add(decimal value, ResourceQuantity.SuffixFormat format)
    {
        _total += value;
        _format ??= format;
    }

    public decimal Total => _total;

    public ResourceQuantity.SuffixFormat Format => _format ?? ResourceQuantity.SuffixFormat.DecimalSI;

    public ResourceQuantity ToQuantity() => new(_total, 0, Format);

    public static ResourceQuantity Count(int count) => new(count, 0, ResourceQuantity.SuffixFormat.DecimalSI);
}
