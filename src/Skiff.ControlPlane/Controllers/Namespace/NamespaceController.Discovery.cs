using System.Text.Json;
using Skiff.Machinery.Catalog;

namespace Skiff.ControlPlane.Controllers.Namespace;

public sealed partial class NamespaceController
{
    /// <summary>
    /// The namespaced resources served beyond the built-in ones (custom resources of CRDs), found through legacy discovery as
    /// upstream's controller finds them: every API group the built-in catalog does not have, at its preferred version (the
    /// versions of a resource share its objects), resources that can be listed and deleted, no subresources.
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
            if (_builtInGroups.Contains(name)
                || !group.TryGetProperty("preferredVersion", out JsonElement preferred)
                || !preferred.TryGetProperty("version", out JsonElement version)
                || version.GetString() is not { } versionName)
            {
                continue;
            }

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
                if (plural.Length == 0 || plural.Contains('/', StringComparison.Ordinal) || !namespaced || !verbs.Contains("list") || !verbs.Contains("delete"))
                {
                    continue;
                }

                string kind = entry.TryGetProperty("kind", out JsonElement k) ? k.GetString() ?? string.Empty : string.Empty;
                found.Add(new ResourceInfo(name, versionName, kind, plural, kind.ToLowerInvariant(), true, verbs, [], [], [], typeof(CustomResource), typeof(CustomResourceList)));
            }
        }

        return found;
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
