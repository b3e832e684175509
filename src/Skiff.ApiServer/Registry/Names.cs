using System.Text.RegularExpressions;

namespace Skiff.ApiServer.Registry;

/// <summary>Upstream's name rules: DNS-1123 subdomains for most objects, DNS-1123 labels for namespaces and Services.</summary>
internal static partial class Names
{
    public static string? SubdomainProblem(string name)
    {
        if (name.Length > 253)
        {
            return "must be no more than 253 characters";
        }

        return Subdomain().IsMatch(name)
            ? null
            : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    }

    public static string? LabelProblem(string name)
    {
        if (name.Length > 63)
        {
            return "must be no more than 63 characters";
        }

        return Label().IsMatch(name)
            ? null
            : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    }

    /// <summary>Names that only need to be usable in a URL path (RBAC objects, events).</summary>
    public static string? PathSegmentProblem(string name) =>
        name is "." or ".." ? "may not be '.' or '..'" : name.Contains('/', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal) ? "may not contain '/' or '%'" : null;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}
