using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>
/// core/v1 and events.k8s.io/v1 Events share one printer, as upstream serves both from the same storage: Last Seen, Type, Reason,
/// Object, Message | Subobject, Source, First Seen, Count, Name.
/// </summary>
internal static class EventPrinter
{
    private static readonly TableColumn[] s_columns =
    [
        Columns.String("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
        Columns.String("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
        Columns.String("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        Columns.String("Object", "The object that this event is about."),
        Columns.String("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.", 1),
        Columns.String("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
        Columns.String("Message", "A human-readable description of the status of this operation."),
        Columns.String("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
        Columns.String("Count", "The number of times this event has occurred.", 1),
        new("Name", "string", "name", Columns.NameDescription, 1),
    ];

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("", "Event")] = new TablePrinter<Corev1Event>(s_columns, (e, now) => Cells(
            new EventFields(e.Metadata?.Name, e.Type, e.Reason, e.Message, e.InvolvedObject?.Kind, e.InvolvedObject?.Name, e.InvolvedObject?.FieldPath,
                e.Source?.Component, e.Source?.Host, e.ReportingComponent, e.ReportingInstance, e.FirstTimestamp, e.LastTimestamp, e.EventTime,
                e.Count, e.Series?.Count, e.Series?.LastObservedTime, e.Series is not null),
            now));

        printers[("events.k8s.io", "Event")] = new TablePrinter<Eventsv1Event>(s_columns, (e, now) => Cells(
            new EventFields(e.Metadata?.Name, e.Type, e.Reason, e.Note, e.Regarding?.Kind, e.Regarding?.Name, e.Regarding?.FieldPath,
                e.DeprecatedSource?.Component, e.DeprecatedSource?.Host, e.ReportingController, e.ReportingInstance, e.DeprecatedFirstTimestamp,
                e.DeprecatedLastTimestamp, e.EventTime, e.DeprecatedCount, e.Series?.Count, e.Series?.LastObservedTime, e.Series is not null),
            now));
    }

    private static object?[] Cells(EventFields e, DateTimeOffset now)
    {
        string firstSeen = e.FirstTimestamp is null ? CellFormat.Since(e.EventTime, now) : CellFormat.Since(e.FirstTimestamp, now);
        string lastSeen = e.LastTimestamp is null ? firstSeen : CellFormat.Since(e.LastTimestamp, now);
        long count = e.Count ?? 0;
        if (e.HasSeries)
        {
            lastSeen = CellFormat.Since(e.SeriesLastObserved, now);
            count = e.SeriesCount ?? 0;
        }
        else if (count == 0)
        {
            // Singleton events from the new API carry no count.
            count = 1;
        }

        string kind = (e.Kind ?? string.Empty).ToLowerInvariant();
        string target = string.IsNullOrEmpty(e.ObjectName) ? kind : $"{kind}/{e.ObjectName}";
        string component = First(e.SourceComponent, e.ReportingController);
        string instance = First(e.SourceHost, e.ReportingInstance);
        string source = instance.Length == 0 ? component : $"{component}, {instance}";
        return
        [
            lastSeen, e.Type ?? string.Empty, e.Reason ?? string.Empty, target, e.FieldPath ?? string.Empty, source,
            (e.Message ?? string.Empty).Trim(), firstSeen, count, e.Name ?? string.Empty,
        ];
    }

    private static string First(string? a, string? b) => !string.IsNullOrEmpty(a) ? a : b ?? string.Empty;

    private sealed record EventFields(
        string? Name,
        string? Type,
        string? Reason,
        string? Message,
        string? Kind,
        string? ObjectName,
        string? FieldPath,
        string? SourceComponent,
        string? SourceHost,
        string? ReportingController,
        string? ReportingInstance,
        DateTime? FirstTimestamp,
        DateTime? LastTimestamp,
        DateTime? EventTime,
        int? Count,
        int? SeriesCount,
        DateTime? SeriesLastObserved,
        bool HasSeries);
}
