using System.CommandLine;
using System.Globalization;
using System.Net;

namespace Skiff.Commands;

/// <summary>Typed parsers for flag values, each with an error message that names the flag and shows a good value.</summary>
internal static partial class OptionParsers
{
    public static Option<IPNetwork> Cidr(string name, string description, string defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => IPNetwork.Parse(defaultValue),
        CustomParser = result => ParseCidr(result, name, defaultValue) ?? default,
    };

    /// <summary>A CIDR flag with no default (null when not given); <paramref name="example"/> shows up in the error for a bad value.</summary>
    public static Option<IPNetwork?> OptionalCidr(string name, string description, string example) => new(name)
    {
        Description = description,
        CustomParser = result => ParseCidr(result, name, example),
    };

    private static IPNetwork? ParseCidr(System.CommandLine.Parsing.ArgumentResult result, string name, string example)
    {
        string text = result.Tokens[0].Value;
        // IPNetwork.TryParse masks host bits away (10.43.0.1/16 becomes 10.43.0.0/16); a typo like that is rejected instead.
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (IPNetwork.TryParse(text, out IPNetwork network)
            && slash > 0
            && IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? address)
            && address.Equals(network.BaseAddress))
        {
            return network;
        }

        result.AddError($"{name} \"{text}\" is not a CIDR with no host bits set, such as {example}");
        return null;
    }

    public static Option<IPAddress> Address(string name, string description, string defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => IPAddress.Parse(defaultValue),
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (IPAddress.TryParse(text, out IPAddress? address))
            {
                return address;
            }

            result.AddError($"{name} \"{text}\" is not an IP address, such as {defaultValue}");
            return IPAddress.None;
        },
    };

    public static Option<int> Port(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535)
            {
                return port;
            }

            result.AddError($"{name} \"{text}\" is not a port number between 1 and 65535");
            return 0;
        },
    };

    public static Option<string> NodeName(string description) => new("--node-name")
    {
        Description = description,
        DefaultValueFactory = _ => NodeNames.Default(),
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (!NodeNames.IsValid(text))
            {
                result.AddError($"--node-name \"{text}\" is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.')");
            }

            return text;
        },
    };

    public static Option<LogLevel> LogLevel() => new("--log-level")
    {
        Description = "The lowest level logged: Trace, Debug, Information, Warning, Error or Critical.",
        DefaultValueFactory = _ => Microsoft.Extensions.Logging.LogLevel.Information,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (Enum.TryParse(text, ignoreCase: true, out LogLevel level) && Enum.IsDefined(level) && !int.TryParse(text, out _))
            {
                return level;
            }

            result.AddError($"--log-level \"{text}\" is not one of Trace, Debug, Information, Warning, Error, Critical, None");
            return Microsoft.Extensions.Logging.LogLevel.Information;
        },
    };

    /// <summary>A duration as Kubernetes flags write it (Go's time.ParseDuration): 40s, 1m30s, 500ms, 2h.</summary>
    public static Option<TimeSpan> Duration(string name, string description, string defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => TryParseDuration(defaultValue, out TimeSpan value) ? value : throw new ArgumentException(defaultValue, nameof(defaultValue)),
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (TryParseDuration(text, out TimeSpan value) && value > TimeSpan.Zero)
            {
                return value;
            }

            result.AddError($"{name} \"{text}\" is not a positive duration, such as {defaultValue}, 1m30s or 500ms");
            return TimeSpan.Zero;
        },
    };

    public static Option<int> PrefixLength(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int length) && length is >= 1 and <= 128)
            {
                return length;
            }

            result.AddError($"{name} \"{text}\" is not a prefix length between 1 and 128");
            return 0;
        },
    };

    /// <summary>Go duration syntax: one or more number-unit pairs (h, m, s, ms), such as 1m30s; a bare 0 is zero.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text == "0")
        {
            return true;
        }

        System.Text.RegularExpressions.MatchCollection parts = DurationPart().Matches(text);
        if (parts.Count == 0 || parts.Sum(m => m.Length) != text.Length)
        {
            return false;
        }

        foreach (System.Text.RegularExpressions.Match part in parts)
        {
            double amount = double.Parse(part.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            value += part.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "s" => TimeSpan.FromSeconds(amount),
                _ => TimeSpan.FromMilliseconds(amount),
            };
        }

        return true;
    }

    public static Option<string> DataDirectory() => new("--data-dir")
    {
        Description = "The directory holding the database, certificates and kubeconfigs.",
        DefaultValueFactory = _ => "/var/lib/skiff",
    };

    /// <summary>The value of a non-nullable option; System.CommandLine types GetValue as nullable for reference types.</summary>
    public static T Value<T>(ParseResult parseResult, Option<T> option)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return parseResult.GetValue(option) ?? throw new InvalidOperationException($"{option.Name} has no value");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)")]
    private static partial System.Text.RegularExpressions.Regex DurationPart();
}
