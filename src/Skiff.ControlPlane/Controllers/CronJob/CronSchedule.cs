using System.Diagnostics.CodeAnalysis;
using Cronos;

namespace Skiff.ControlPlane.Controllers.CronJob;

/// <summary>
/// A CronJob's spec.schedule in its time zone: five standard fields or a macro (@hourly, @daily, @midnight, @weekly,
/// @monthly, @yearly, @annually, @every_minute), optionally prefixed by <c>TZ=zone</c> or <c>CRON_TZ=zone</c>. The zone is,
/// in order: that prefix, spec.timeZone, or the controller's local zone (upstream interprets schedules in
/// kube-controller-manager's zone when none is given).
/// </summary>
internal sealed class CronSchedule
{
    /// <summary>Upstream gives up listing missed start times past this many and tells the user to set startingDeadlineSeconds.</summary>
    public const int MaxMissedStartTimes = 100;

    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression, TimeZoneInfo zone, bool zoneInSchedule)
    {
        _expression = expression;
        Zone = zone;
        ZoneInSchedule = zoneInSchedule;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>The schedule names its own zone (TZ= or CRON_TZ=), which upstream accepts but does not officially support.</summary>
    public bool ZoneInSchedule { get; }

    public static bool TryFindZone(string name, [NotNullWhen(true)] out TimeZoneInfo? zone, [NotNullWhen(false)] out string? error)
    {
        zone = null;
        error = null;
        if (name is "UTC" or "Etc/UTC")
        {
            zone = TimeZoneInfo.Utc;
            return true;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            error = "unknown time zone " + name;
            return false;
        }
    }

    public static bool TryParse(string? schedule, string? timeZone, TimeZoneInfo localZone, [NotNullWhen(true)] out CronSchedule? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        string text = (schedule ?? string.Empty).Trim();
        TimeZoneInfo zone = localZone;
        bool zoneInSchedule = false;
        if (text.StartsWith("TZ=", StringComparison.Ordinal) || text.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            int space = text.IndexOfAny([' ', '\t']);
            if (space < 0)
            {
                error = "provided bad location " + text + ": missing schedule after the time zone";
                return false;
            }

            string name = text[(text.IndexOf('=', StringComparison.Ordinal) + 1)..space];
            if (!TryFindZone(name, out TimeZoneInfo? named, out error))
            {
                error = "provided bad location " + name + ": " + error;
                return false;
            }

            zone = named;
            zoneInSchedule = true;
            text = text[space..].Trim();
        }
        else if (!string.IsNullOrEmpty(timeZone))
        {
            if (!TryFindZone(timeZone, out TimeZoneInfo? named, out error))
            {
                return false;
            }

            zone = named;
        }

        if (text.Length == 0)
        {
            error = "empty spec string";
            return false;
        }

        try
        {
            result = new CronSchedule(CronExpression.Parse(text, CronFormat.Standard), zone, zoneInSchedule);
            error = null;
            return true;
        }
        catch (CronFormatException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>The first start time strictly after <paramref name="after"/>, in the schedule's zone.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => _expression.GetNextOccurrence(after, Zone, inclusive: false);

    /// <summary>
    /// The latest start time in (<paramref name="earliest"/>, <paramref name="now"/>], and how many start times that interval
    /// holds (estimated from the first two, as upstream does, so a schedule decades behind costs nothing).
    /// </summary>
    public (DateTimeOffset? MostRecent, long Missed) MostRecent(DateTimeOffset earliest, DateTimeOffset now)
    {
        if (earliest > now || Next(earliest) is not { } first || first > now)
        {
            return (null, 0);
        }

        DateTimeOffset? latest = _expression.GetPreviousOccurrence(now, Zone, inclusive: true);
        if (Next(first) is not { } second || second > now)
        {
            return (first, 1);
        }

        TimeSpan interval = second - first;
        long missed = interval <= TimeSpan.Zero ? 2 : ((now - first).Ticks / interval.Ticks) + 1;
        return (latest ?? first, Math.Max(missed, 2));
    }
}
