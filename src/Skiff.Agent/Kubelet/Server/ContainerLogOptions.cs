using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>What a <c>/containerLogs</c> request asks for (upstream's PodLogOptions as the kubelet receives them).</summary>
public sealed record ContainerLogOptions
{
    /// <summary>Keep the stream open and send lines as they are written, until the container exits or the client goes.</summary>
    public bool Follow { get; init; }

    /// <summary>The previous (terminated) instance of the container rather than the current one.</summary>
    public bool Previous { get; init; }

    /// <summary>Prefix every line with its RFC 3339 timestamp and a space.</summary>
    public bool Timestamps { get; init; }

    /// <summary>Only the last this many lines (then follow from there).</summary>
    public long? TailLines { get; init; }

    /// <summary>Stop after this many bytes of output.</summary>
    public long? LimitBytes { get; init; }

    /// <summary>Only lines written at or after this time (from sinceTime or sinceSeconds).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Reads the query as kubectl sends it through the API server; a value that does not parse is an error message.</summary>
    public static ContainerLogOptions Parse(IQueryCollection query, DateTimeOffset now, out string? error)
    {
        ArgumentNullException.ThrowIfNull(query);
        error = null;
        var options = new ContainerLogOptions
        {
            Follow = IsTrue(query["follow"]),
            Previous = IsTrue(query["previous"]),
            Timestamps = IsTrue(query["timestamps"]),
        };
        if (ParseLong(query, "tailLines", ref error) is { } tail)
        {
            options = options with { TailLines = tail };
        }

        if (ParseLong(query, "limitBytes", ref error) is { } limit)
        {
            if (limit < 1)
            {
                error ??= "limitBytes must be greater than zero";
            }

            options = options with { LimitBytes = limit };
        }

        if (ParseLong(query, "sinceSeconds", ref error) is { } seconds)
        {
            if (seconds < 1)
            {
                error ??= "sinceSeconds must be greater than zero";
            }

            options = options with { Since = now - TimeSpan.FromSeconds(seconds) };
        }

        string? sinceTime = query["sinceTime"];
        if (!string.IsNullOrEmpty(sinceTime))
        {
            if (CriLogLine.TryParseTime(sinceTime, out DateTimeOffset since))
            {
                options = options with { Since = since };
            }
            else
            {
                error ??= $"sinceTime: invalid RFC 3339 time \"{sinceTime}\"";
            }
        }

        return options;
    }

    private static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static long? ParseLong(IQueryCollection query, string name, ref string? error)
    {
        string? text = query[name];
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }

        error ??= $"{name}: invalid integer \"{text}\"";
        return null;
    }
}
