using System.Globalization;
using System.Text;

namespace Skiff.ControlPlane.Controllers.Job;

/// <summary>
/// status.completedIndexes of an Indexed Job: a sorted set of indexes written as intervals, "0-2,4,6,7" (upstream writes a
/// run of two as "6,7" and a longer run as "first-last").
/// </summary>
internal static class CompletedIndexes
{
    /// <summary>The indexes below <paramref name="completions"/> in <paramref name="text"/>; malformed parts are skipped.</summary>
    public static SortedSet<int> Parse(string? text, int completions)
    {
        var set = new SortedSet<int>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return set;
        }

        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] bounds = part.Split('-', 2);
            if (!int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first))
            {
                continue;
            }

            int last = first;
            if (bounds.Length == 2 && !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out last))
            {
                continue;
            }

            for (int i = first; i <= last && i < completions; i++)
            {
                set.Add(i);
            }
        }

        return set;
    }

    public static string? Format(IEnumerable<int> indexes)
    {
        var builder = new StringBuilder();
        int? first = null;
        int last = 0;
        foreach (int index in indexes.Distinct().Order())
        {
            if (first is not null && index == last + 1)
            {
                last = index;
                continue;
            }

            Append(builder, first, last);
            first = index;
            last = index;
        }

        Append(builder, first, last);
        return builder.Length == 0 ? null : builder.ToString();
    }

    private static void Append(StringBuilder builder, int? first, int last)
    {
        if (first is not { } start)
        {
            return;
        }

        if (builder.Length > 0)
        {
            builder.Append(',');
        }

        builder.Append(start.ToString(CultureInfo.InvariantCulture));
        if (last > start)
        {
            builder.Append(last == start + 1 ? ',' : '-').Append(last.ToString(CultureInfo.InvariantCulture));
        }
    }
}
