using System.Text.Json;
using Skiff.Machinery.Catalog;

namespace Skiff.ControlPlane.Controllers.Namespace;

public sealed partial class NamespaceController
{
    /// <summary>
    /// The namespaced resources served beyond the built-in ones (custom resources of CRDs), found through legacy discovery as
    /// upstream's controller finds them: every API group the built-in catalog does not have, every version of it (each plural
    /// once, at the first version serving it; the versions of a resource share its objects), resources that can be listed and
    /// deleted, no subresources.
    /// </summary>
    private async Task<IReadOnlyList<ResourceInfo>> DiscoverCustomResourcesAsync(CancellationToken cancellationToken)
    {
        using JsonDocument groups = await GetJsonAsync("apis", cancellationToken).ConfigureAwait(false);
        var found = new List<ResourceInfo>();
        if (!groups.RootElement.TryGetProperty("groups", out JsonElement list) || list.ValueKind != JsonValueKind.Array)
        {
            return found;
        }

        foreach (JsonElement group in list.EnumerateArray())
        {
            string name = group.TryGetProperty("name", out JsonElement n) ? n.GetString() ?? string.Empty : string.Empty;
            if (_builtInGroups.Contains(name))
            {
                continue;
            }

            // Every version, the preferred one first; a plural counts once, at the first version that serves it (a kind can
            // serve only some of a group's versions, and the preferred one may belong to another kind).
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string versionName in VersionsOf(group))
            {
                using JsonDocument resources = await GetJsonAsync($"apis/{name}/{versionName}", cancellationToken).ConfigureAwait(false);
                if (!resources.RootElement.TryGetProperty("resources", out JsonElement entries) || entries.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (JsonElement entry in entries.EnumerateArray())
                {
                    string plural = entry.TryGetProperty("name", out JsonElement p) ? p.GetString() ?? string.Empty : string.Empty;
                    bool namespaced = entry.TryGetProperty("namespaced", out JsonElement ns) && ns.ValueKind == JsonValueKind.True;
                    string[] verbs = entry.TryGetProperty("verbs", out JsonElement v) && v.ValueKind == JsonValueKind.Array
                        ? [.. v.EnumerateArray().Select(x => x.GetString()).OfType<string>()]
                        : [];
                    if (plural.Length == 0 || plural.Contains('/', StringComparison.Ordinal) || !namespaced || !verbs.Contains("list") || !verbs.Contains("delete")
                        || !seen.Add(plural))
                    {
                        continue;
                    }

                    string kind = entry.TryGetProperty("kind", out JsonElement k) ? k.GetString() ?? string.Empty : string.Empty;
                    found.Add(new ResourceInfo(name, versionName, kind, plural, kind.ToLowerInvariant(), true, verbs, [], [], [], typeof(CustomResource), typeof(CustomResourceList)));
                }
            }
        }

        return found;
    }

    /// <summary>A discovery group's versions, the preferred one first.</summary>
    private static List<string> VersionsOf(JsonElement group)
    {
        var versions = new List<string>();
        if (group.TryGetProperty("preferredVersion", out JsonElement preferred) && preferred.TryGetProperty("version", out JsonElement p) && p.GetString() is { } preferredName)
        {
            versions.Add(preferredName);
        }

        if (group.TryGetProperty("versions", out JsonElement all) && all.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement version in all.EnumerateArray())
            {
                if (version.TryGetProperty("version", out JsonElement v) && v.GetString() is { } versionName && !versions.Contains(versionName))
                {
                    versions.Add(versionName);
                }
            }
        }

        return versions;
    }

    private async Task<JsonDocument> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await SendAsync(HttpMethod.Get, path, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Discovery of {path} failed with {(int)response.StatusCode}: {body}");
        }

        return JsonDocument.Parse(body);
    }
}
