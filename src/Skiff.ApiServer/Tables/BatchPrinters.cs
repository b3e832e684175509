using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for Job and CronJob.</summary>
internal static class BatchPrinters
{
    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("batch", "Job")] = new TablePrinter<V1Job>(
            [
                Columns.Name(),
                Columns.String("Status", "Status of the job."),
                Columns.String("Completions", "The number of pods which reached phase Succeeded."),
                Columns.String("Duration", "Time required to complete the job."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("A label query over pods that should match the pod count."),
            ],
            JobCells);

        printers[("batch", "CronJob")] = new TablePrinter<V1CronJob>(
            [
                Columns.Name(),
                Columns.String("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
                Columns.String("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
                Columns.Boolean("Suspend", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions."),
                Columns.Integer("Active", "A list of pointers to currently running jobs."),
                Columns.String("Last Schedule", "Information when was the last time the job was successfully scheduled."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("A label query over pods that should match the pod count."),
            ],
            (c, now) =>
            {
                V1PodTemplateSpec? template = c.Spec?.JobTemplate?.Spec?.Template;
                (string names, string images) = CellFormat.Containers(template);
                string suspend = c.Spec?.Suspend is { } s ? CellFormat.Bool(s) : CellFormat.Unset;
                string lastSchedule = c.Status?.LastScheduleTime is { } last ? CellFormat.Since(last, now) : CellFormat.None;
                return
                [
                    CellFormat.Name(c.Metadata), c.Spec?.Schedule ?? string.Empty, c.Spec?.TimeZone ?? CellFormat.None, suspend,
                    CellFormat.Count(c.Status?.Active), lastSchedule, CellFormat.Age(c.Metadata, now), names, images,
                    CellFormat.LabelSelector(c.Spec?.JobTemplate?.Spec?.Selector),
                ];
            });
    }

    private static object?[] JobCells(V1Job job, DateTimeOffset now)
    {
        V1JobSpec spec = job.Spec ?? new V1JobSpec();
        V1JobStatus status = job.Status ?? new V1JobStatus();
        int succeeded = status.Succeeded ?? 0;
        string completions = spec.Completions is { } total
            ? $"{succeeded}/{total}"
            : (spec.Parallelism ?? 0) > 1 ? $"{succeeded}/1 of {spec.Parallelism}" : $"{succeeded}/1";

        string duration = status.StartTime switch
        {
            null => string.Empty,
            { } start when status.CompletionTime is { } end => HumanDuration.Format(CellFormat.ToUtc(end) - CellFormat.ToUtc(start)),
            { } start => HumanDuration.Format(now - CellFormat.ToUtc(start)),
        };

        IList<V1JobCondition> conditions = status.Conditions ?? [];
        string state = HasCondition(conditions, "Complete") ? "Complete"
            : HasCondition(conditions, "Failed") ? "Failed"
            : job.Metadata?.DeletionTimestamp is not null ? "Terminating"
            : HasCondition(conditions, "Suspended") ? "Suspended"
            : HasCondition(conditions, "FailureTarget") ? "FailureTarget"
            : "Running";

        (string names, string images) = CellFormat.Containers(spec.Template);
        return [CellFormat.Name(job.Metadata), state, completions, duration, CellFormat.Age(job.Metadata, now), names, images, CellFormat.LabelSelector(spec.Selector)];
    }

    // Upstream looks only at the first condition of a type.
    private static bool HasCondition(IList<V1JobCondition> conditions, string type) =>
        conditions.FirstOrDefault(c => c?.Type == type)?.Status == "True";
}
