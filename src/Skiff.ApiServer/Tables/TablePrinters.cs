using System.Collections.Frozen;

namespace Skiff.ApiServer.Tables;

/// <summary>
/// The server-side printers, by API group and kind. Kinds without a printer of their own get the default (Name, Created At), as
/// upstream's DefaultTableConvertor does for RBAC roles, CRDs and custom resources.
/// </summary>
public sealed class TablePrinters
{
    private readonly FrozenDictionary<(string Group, string Kind), ITablePrinter> _printers;
    private readonly ITablePrinter _hpaV1 = AutoscalingPrinters.V1();
    private readonly Func<Skiff.Machinery.Catalog.ResourceInfo, ITablePrinter?>? _custom;

    public TablePrinters()
        : this(null)
    {
    }

    /// <param name="custom">The printer of a custom resource (its CRD's printer columns), or null when the resource is not one.</param>
    public TablePrinters(Func<Skiff.Machinery.Catalog.ResourceInfo, ITablePrinter?>? custom)
    {
        _custom = custom;
        var printers = new Dictionary<(string Group, string Kind), ITablePrinter>
        {
            [("", "Pod")] = PodPrinter.Create(),
        };
        WorkloadPrinters.Register(printers);
        BatchPrinters.Register(printers);
        NetworkPrinters.Register(printers);
        ClusterPrinters.Register(printers);
        EventPrinter.Register(printers);
        ConfigPrinters.Register(printers);
        StoragePrinters.Register(printers);
        AutoscalingPrinters.Register(printers);
        _printers = printers.ToFrozenDictionary();
    }

    /// <summary>The printer used for kinds without their own.</summary>
    public static ITablePrinter Default => DefaultTablePrinter.Instance;

    /// <summary>
    /// The printer for a served resource: a custom resource's from its CRD's additionalPrinterColumns (its rows get the object as
    /// a JsonObject), else <see cref="For(string, string, string)"/>.
    /// </summary>
    public ITablePrinter For(Skiff.Machinery.Catalog.ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.IsCustom && _custom?.Invoke(resource) is { } printer)
        {
            return printer;
        }

        return For(resource.Group, resource.Version, resource.Kind);
    }

    /// <summary>The printer for a kind at a version; only autoscaling/v1 HorizontalPodAutoscaler differs from <see cref="For(string, string)"/>.</summary>
    public ITablePrinter For(string group, string version, string kind)
    {
        ArgumentNullException.ThrowIfNull(version);
        return group == "autoscaling" && version == "v1" && kind == "HorizontalPodAutoscaler" ? _hpaV1 : For(group, kind);
    }

    /// <summary>The printer for a kind, or <see cref="Default"/>.</summary>
    /// <param name="group">The API group, "" for core.</param>
    /// <param name="kind">The kind, such as "Pod".</param>
    public ITablePrinter For(string group, string kind)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(kind);
        return _printers.TryGetValue((group, kind), out ITablePrinter? printer) ? printer : Default;
    }
}
