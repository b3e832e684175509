using System.Globalization;
using System.Text.RegularExpressions;

namespace Skiff.Machinery.Catalog;

/// <summary>
/// Upstream's version priority (CompareKubeAwareVersionStrings), highest first: GA versions (v2 before v1), then betas, then
/// alphas (v1beta2 before v1beta1), then every other name alphabetically. Used to order a custom resource's versions in
/// discovery, whose first version is the preferred one.
/// </summary>
public sealed partial class KubeVersionComparer : IComparer<string>
{
    public static KubeVersionComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        (int kindX, int majorX, int minorX) = Parse(x ?? string.Empty);
        (int kindY, int majorY, int minorY) = Parse(y ?? string.Empty);
        if (kindX != kindY)
        {
            return kindY.CompareTo(kindX);
        }

        if (kindX == 0)
        {
            return string.CompareOrdinal(x, y);
        }

        return majorX != majorY ? majorY.CompareTo(majorX) : minorY.CompareTo(minorX);
    }

    /// <summary>Kind 3 = GA, 2 = beta, 1 = alpha, 0 = not Kubernetes-like.</summary>
    private static (int Kind, int Major, int Minor) Parse(string version)
    {
        Match match = VersionPattern().Match(version);
        if (!match.Success)
        {
            return (0, 0, 0);
        }

        int major = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        if (!match.Groups[2].Success)
        {
            return (3, major, 0);
        }

        int minor = int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
        return (match.Groups[2].Value == "beta" ? 2 : 1, major, minor);
    }

    [GeneratedRegex("^v([1-9][0-9]{0,8})(?:(alpha|beta)([1-9][0-9]{0,8}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
