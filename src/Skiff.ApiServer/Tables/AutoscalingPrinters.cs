using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>HorizontalPodAutoscaler, autoscaling/v2 and v1: Reference, Targets, MinPods, MaxPods, Replicas, Age.</summary>
internal static class AutoscalingPrinters
{
    private const int MaxTargets = 2;

    private static readonly TableColumn[] s_columns =
    [
        Columns.Name(),
        Columns.String("Reference", "reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource."),
        Columns.String("Targets", "metrics contains the specifications for which to use to calculate the desired replica count."),
        Columns.String("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
        Columns.String("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
        Columns.String("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
        Columns.Age(),
    ];

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("autoscaling", "HorizontalPodAutoscaler")] = new TablePrinter<V2HorizontalPodAutoscaler>(s_columns, (h, now) =>
        [
            CellFormat.Name(h.Metadata), $"{h.Spec?.ScaleTargetRef?.Kind}/{h.Spec?.ScaleTargetRef?.Name}", Targets(h.Spec?.Metrics, h.Status?.CurrentMetrics),
            h.Spec?.MinReplicas is { } min ? $"{min}" : CellFormat.Unset, (long)(h.Spec?.MaxReplicas ?? 0), (long)(h.Status?.CurrentReplicas ?? 0),
            CellFormat.Age(h.Metadata, now),
        ]);
    }

    /// <summary>Cells for an autoscaling/v1 object, whose only target is CPU utilization.</summary>
    public static ITablePrinter V1() => new TablePrinter<V1HorizontalPodAutoscaler>(s_columns, (h, now) =>
    {
        string targets = CellFormat.None;
        if (h.Spec?.TargetCPUUtilizationPercentage is { } target)
        {
            string current = h.Status?.CurrentCPUUtilizationPercentage is { } c ? $"{c}%" : CellFormat.Unknown;
            targets = $"cpu: {current}/{target}%";
        }

        return
        [
            CellFormat.Name(h.Metadata), $"{h.Spec?.ScaleTargetRef?.Kind}/{h.Spec?.ScaleTargetRef?.Name}", targets,
            h.Spec?.MinReplicas is { } min ? $"{min}" : CellFormat.Unset, (long)(h.Spec?.MaxReplicas ?? 0), (long)(h.Status?.CurrentReplicas ?? 0),
            CellFormat.Age(h.Metadata, now),
        ];
    });

    private static string Targets(IList<V2MetricSpec>? specs, IList<V2MetricStatus>? statuses)
    {
        IList<V2MetricSpec> all = specs ?? [];
        if (all.Count == 0)
        {
            return CellFormat.None;
        }

        IList<V2MetricStatus> current = statuses ?? [];
        var list = new List<string>();
        for (int i = 0; i < all.Count; i++)
        {
            V2MetricStatus? status = i < current.Count ? current[i] : null;
            list.Add(Target(all[i], status));
        }

        string joined = string.Join(", ", list.Take(MaxTargets));
        return list.Count > MaxTargets ? $"{joined} + {list.Count - MaxTargets} more..." : joined;
    }

    private static string Target(V2MetricSpec? spec, V2MetricStatus? status)
    {
        switch (spec?.Type)
        {
            case "Resource" when spec.Resource is { } r:
                return $"{r.Name}: " + Value(r.Target, status?.Resource?.Current);
            case "ContainerResource" when spec.ContainerResource is { } cr:
                return $"{cr.Name}: " + Value(cr.Target, status?.ContainerResource?.Current);
            case "Pods" when spec.Pods is { } p:
                return $"{status?.Pods?.Current?.AverageValue?.ToString() ?? CellFormat.Unknown}/{p.Target?.AverageValue}";
            case "Object" when spec.ObjectProperty is { } o:
                return Averaged(o.Target, status?.ObjectProperty?.Current);
            case "External" when spec.External is { } e:
                return Averaged(e.Target, status?.External?.Current);
            default:
                return "<unknown type>";
        }
    }

    private static string Value(V2MetricTarget? target, V2MetricValueStatus? current)
    {
        if (target?.AverageValue is { } average)
        {
            return $"{current?.AverageValue?.ToString() ?? CellFormat.Unknown}/{average}";
        }

        string now = current?.AverageUtilization is { } u ? $"{u}%" : CellFormat.Unknown;
        string goal = target?.AverageUtilization is { } t ? $"{t}%" : "<auto>";
        return $"{now}/{goal}";
    }

    private static string Averaged(V2MetricTarget? target, V2MetricValueStatus? current) =>
        target?.AverageValue is { } average
            ? $"{current?.AverageValue?.ToString() ?? CellFormat.Unknown}/{average} (avg)"
            : $"{current?.Value?.ToString() ?? CellFormat.Unknown}/{target?.Value}";
}
