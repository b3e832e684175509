using System.Globalization;
using System.Text;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>
/// One line of a CRI container log file: <c>&lt;RFC3339Nano time&gt; &lt;stdout|stderr&gt; &lt;P|F&gt; &lt;text&gt;</c>. P marks a
/// partial line that the runtime split (a long write, or no newline yet): its text continues on the stream's next line.
/// </summary>
/// <param name="Timestamp">The time exactly as written (echoed when timestamps are asked for).</param>
/// <param name="Time">The parsed time.</param>
/// <param name="Stream">stdout or stderr.</param>
/// <param name="Partial">True for P (continued on the next line of the same stream).</param>
/// <param name="Content">The text, without the newline.</param>
public sealed record CriLogLine(string Timestamp, DateTimeOffset Time, string Stream, bool Partial, ReadOnlyMemory<byte> Content)
{
    /// <summary>Parses one line of the file (without its trailing newline); false when it is not in the CRI format.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out CriLogLine? parsed)
    {
        parsed = null;
        int first = line.IndexOf((byte)' ');
        if (first <= 0)
        {
            return false;
        }

        string timestamp = Encoding.ASCII.GetString(line[..first]);
        if (!TryParseTime(timestamp, out DateTimeOffset time))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = line[(first + 1)..];
        int second = rest.IndexOf((byte)' ');
        if (second <= 0)
        {
            return false;
        }

        string stream = Encoding.ASCII.GetString(rest[..second]);
        if (stream is not ("stdout" or "stderr"))
        {
            return false;
        }

        rest = rest[(second + 1)..];
        // The tag is P or F (older runtimes may add more tags after a colon); the text follows one space, and may be empty.
        int third = rest.IndexOf((byte)' ');
        ReadOnlySpan<byte> tag = third < 0 ? rest : rest[..third];
        if (tag.Length == 0 || tag[0] is not ((byte)'P' or (byte)'F'))
        {
            return false;
        }

        byte[] content = third < 0 ? [] : rest[(third + 1)..].ToArray();
        parsed = new CriLogLine(timestamp, time, stream, tag[0] == (byte)'P', content);
        return true;
    }

    /// <summary>Parses an RFC 3339 time with up to nanosecond precision (.NET keeps 100 ns; the rest is dropped).</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text;
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                trimmed = text[..(dot + 8)] + text[end..];
            }
        }

        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time)
            && trimmed.Contains('T', StringComparison.Ordinal);
    }
}
