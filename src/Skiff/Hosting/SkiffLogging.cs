using Microsoft.Extensions.Logging.Console;

namespace Skiff.Hosting;

/// <summary>One console format for every skiff process: single-line, UTC timestamps, level and category.</summary>
internal static class SkiffLogging
{
    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            console.IncludeScopes = false;
            console.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        logging.SetMinimumLevel(level);
        // ASP.NET Core logs every request at Information; that is noise unless someone asked for Debug.
        logging.AddFilter("Microsoft.AspNetCore", level < LogLevel.Information ? level : LogLevel.Warning);
    }
}
