using System.Text.RegularExpressions;

namespace Skiff.Commands;

/// <summary>Node names are DNS-1123 subdomains, as Kubernetes requires of Node objects.</summary>
internal static partial class NodeNames
{
    public static string Default() => Environment.MachineName.ToLowerInvariant();

    public static bool IsValid(string? name) => name is { Length: > 0 and <= 253 } && Subdomain().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex Subdomain();
}
