using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// The string formats upstream validates in custom resources (apiextensions' supported set, kube-openapi's strfmt checks);
/// every other format is dropped before validation, as upstream's StripUnsupportedFormatsPostProcess does (int32, int64,
/// float and double are never checked). Formats live in a registry of our own, never the library's global one.
/// </summary>
internal static partial class SchemaFormats
{
    /// <summary>The prefix of our format keys in translated schemas, so the library's built-in formats never apply.</summary>
    public const string KeyPrefix = "k8s-";

    private static readonly Dictionary<string, Func<string, bool>> s_checks = new(StringComparer.Ordinal)
    {
        ["bsonobjectid"] = v => BsonObjectId().IsMatch(v),
        ["uri"] = v => v.Length > 0 && Uri.TryCreate(v, UriKind.RelativeOrAbsolute, out _),
        ["email"] = v => Email().IsMatch(v),
        ["hostname"] = v => v.Length <= 255 && Hostname().IsMatch(v),
        ["ipv4"] = v => Ipv4().IsMatch(v) && IPAddress.TryParse(v, out _),
        ["ipv6"] = v => v.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(v, out IPAddress? a) &&
            a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6,
        ["cidr"] = v => v.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(v, out _),
        ["mac"] = v => Mac().IsMatch(v),
        ["uuid"] = v => Uuid().IsMatch(v),
        ["uuid3"] = v => Uuid().IsMatch(v) && v[14] == '3',
        ["uuid4"] = v => Uuid().IsMatch(v) && v[14] == '4' && "89abAB".Contains(v[19], StringComparison.Ordinal),
        ["uuid5"] = v => Uuid().IsMatch(v) && v[14] == '5' && "89abAB".Contains(v[19], StringComparison.Ordinal),
        ["isbn"] = v => Isbn10().IsMatch(v) || Isbn13().IsMatch(v),
        ["isbn10"] = v => Isbn10().IsMatch(v),
        ["isbn13"] = v => Isbn13().IsMatch(v),
        ["creditcard"] = v => CreditCard().IsMatch(Regex.Replace(v, "[^0-9]", string.Empty, RegexOptions.None, TimeSpan.FromSeconds(1))),
        ["ssn"] = v => Ssn().IsMatch(v),
        ["hexcolor"] = v => HexColor().IsMatch(v),
        ["rgbcolor"] = v => RgbColor().IsMatch(v),
        ["byte"] = IsBase64,
        ["password"] = _ => true,
        ["date"] = v => DateTime.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        ["duration"] = v => Duration().IsMatch(v),
        ["datetime"] = IsDateTime,
    };

    /// <summary>The registry handed to every evaluation.</summary>
    public static FormatRegistry Registry { get; } = CreateRegistry();

    /// <summary>The key of a supported format in translated schemas ("date-time" → "k8s-datetime"), or null when upstream ignores it.</summary>
    public static string? KeyFor(string format)
    {
        string normalized = format.Replace("-", string.Empty, StringComparison.Ordinal);
        return s_checks.ContainsKey(normalized) ? KeyPrefix + normalized : null;
    }

    private static FormatRegistry CreateRegistry()
    {
        var registry = new FormatRegistry();
        foreach (KeyValuePair<string, Func<string, bool>> check in s_checks)
        {
            Func<string, bool> predicate = check.Value;
            registry.Register(new PredicateFormat(KeyPrefix + check.Key,
                element => element.ValueKind != JsonValueKind.String || predicate(element.GetString() ?? string.Empty)));
        }

        return registry;
    }

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = value.Length <= 1024 ? stackalloc byte[value.Length] : new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }

    private static bool IsDateTime(string value)
    {
        if (!DateTimeShape().IsMatch(value))
        {
            return false;
        }

        string normalized = value.Replace(' ', 'T').ToUpperInvariant();
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
    }

    [GeneratedRegex("^[0-9a-fA-F]{24}$")]
    private static partial Regex BsonObjectId();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")]
    private static partial Regex Email();

    [GeneratedRegex(@"^([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?)(\.([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?))*\.?$")]
    private static partial Regex Hostname();

    [GeneratedRegex(@"^(\d{1,3}\.){3}\d{1,3}$")]
    private static partial Regex Ipv4();

    [GeneratedRegex("^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\\.){2}[0-9a-fA-F]{4}$")]
    private static partial Regex Mac();

    [GeneratedRegex("^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^(?:[0-9]{9}X|[0-9]{10})$")]
    private static partial Regex Isbn10();

    [GeneratedRegex(@"^(?:[0-9]{13})$")]
    private static partial Regex Isbn13();

    [GeneratedRegex(@"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$")]
    private static partial Regex CreditCard();

    [GeneratedRegex(@"^\d{3}[- ]?\d{2}[- ]?\d{4}$")]
    private static partial Regex Ssn();

    [GeneratedRegex("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"^rgb\(\s*([01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])\s*,\s*([01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])\s*,\s*([01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])\s*\)$")]
    private static partial Regex RgbColor();

    // Go's time.ParseDuration units, several in a row ("1h30m"), or strfmt's spelled-out form ("3 days").
    [GeneratedRegex(@"^[-+]?(([0-9]*(\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h))+$|^[0-9]+\s*(ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")]
    private static partial Regex DateTimeShape();
}
