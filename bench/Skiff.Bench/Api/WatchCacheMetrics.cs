using System.Globalization;
using System.Text;

namespace Skiff.Bench.Api;

/// <summary>Reads the watch cache's own size accounting for pods from the server's /metrics text.</summary>
internal static class WatchCacheMetrics
{
    public static (long Bytes, long JsonBytes) ForPods(byte[] metricsText)
    {
        long bytes = 0;
        long json = 0;
        foreach (string line in Encoding.UTF8.GetString(metricsText).Split('\n'))
        {
            if (line.StartsWith("skiff_watch_cache_bytes{resource=\"pods\"}", StringComparison.Ordinal))
            {
                bytes = Value(line);
            }
            else if (line.StartsWith("skiff_watch_cache_json_bytes{resource=\"pods\"}", StringComparison.Ordinal))
            {
                json = Value(line);
            }
        }

        return (bytes, json);
    }

    private static long Value(string line) =>
        (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
}
