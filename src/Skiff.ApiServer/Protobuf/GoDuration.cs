using System.Globalization;
using System.Text;

namespace Skiff.ApiServer.Protobuf;

/// <summary>Go's time.Duration.String(), which metav1.Duration uses as its JSON form ("1h0m0s", "1.5s", "300ms").</summary>
internal static class GoDuration
{
    private const ulong Second = 1_000_000_000;

    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        bool negative = nanoseconds < 0;
        ulong u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        var text = new StringBuilder();
        if (negative)
        {
            text.Append('-');
        }

        if (u < Second)
        {
            // Below a second Go switches to the largest unit that keeps an integer part.
            (string unit, int precision) = u < 1_000 ? ("ns", 0) : u < 1_000_000 ? ("µs", 3) : ("ms", 6);
            ulong scale = Pow10(precision);
            text.Append((u / scale).ToString(CultureInfo.InvariantCulture)).Append(Fraction(u % scale, precision)).Append(unit);
            return text.ToString();
        }

        ulong seconds = u / Second;
        ulong minutes = seconds / 60;
        ulong hours = minutes / 60;
        if (hours > 0)
        {
            text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (minutes > 0)
        {
            text.Append((minutes % 60).ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        text.Append((seconds % 60).ToString(CultureInfo.InvariantCulture)).Append(Fraction(u % Second, 9)).Append('s');
        return text.ToString();
    }

    private static string Fraction(ulong value, int precision) =>
        value == 0 ? string.Empty : "." + value.ToString(CultureInfo.InvariantCulture).PadLeft(precision, '0').TrimEnd('0');

    private static ulong Pow10(int exponent)
    {
        ulong result = 1;
        for (int i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
