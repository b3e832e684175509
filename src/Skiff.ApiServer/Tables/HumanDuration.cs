namespace Skiff.ApiServer.Tables;

/// <summary>Durations as apimachinery's <c>duration.HumanDuration</c> prints them: "5s", "3m2s", "10m", "2d3h", "&lt;invalid&gt;".</summary>
internal static class HumanDuration
{
    private const long SecondsPerMinute = 60;
    private const long MinutesPerHour = 60;
    private const long HoursPerDay = 24;
    private const long DaysPerYear = 365;

    public static string Format(TimeSpan duration)
    {
        // Truncation toward zero, like Go's int(d.Seconds()); up to 2s in the future counts as now (clock skew).
        long seconds = (long)duration.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < SecondsPerMinute * 2)
        {
            return $"{seconds}s";
        }

        long minutes = duration.Ticks / TimeSpan.TicksPerMinute;
        if (minutes < 10)
        {
            long s = seconds % SecondsPerMinute;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < MinutesPerHour * 3)
        {
            return $"{minutes}m";
        }

        long hours = duration.Ticks / TimeSpan.TicksPerHour;
        if (hours < 8)
        {
            long m = minutes % MinutesPerHour;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        long days = hours / HoursPerDay;
        if (hours < HoursPerDay * 8)
        {
            long h = hours % HoursPerDay;
            return h == 0 ? $"{days}d" : $"{days}d{h}h";
        }

        if (hours < HoursPerDay * DaysPerYear * 2)
        {
            return $"{days}d";
        }

        long years = days / DaysPerYear;
        if (hours < HoursPerDay * DaysPerYear * 8)
        {
            long dy = days % DaysPerYear;
            return dy == 0 ? $"{years}y" : $"{years}y{dy}d";
        }

        return $"{years}y";
    }
}
