using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Endpoints;

/// <summary>What a resource request asks for, parsed from its method, path and query.</summary>
/// <param name="Verb">get, list, watch, create, update, patch, delete or deletecollection.</param>
/// <param name="Resource">The resource addressed.</param>
/// <param name="Namespace">The namespace in the path, if any.</param>
/// <param name="Name">The object name in the path, if any.</param>
/// <param name="Subresource">status, scale, log, ... if any.</param>
internal sealed record RequestInfo(string Verb, ResourceInfo Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// Parses the segments after <c>/api/v1</c> or <c>/apis/group/version</c>. Returns null when no served resource matches
    /// (the caller answers 404).
    /// </summary>
    public static RequestInfo? Parse(ResourceCatalog catalog, string method, string group, string version, string[] segments, bool watch)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(segments);
        string? ns = null;
        int i = 0;

        // /namespaces/{ns}/{resource}/... addresses a namespaced resource, unless it is the namespace's own subresource
        // (/namespaces/{name}/status or /finalize).
        if (segments.Length >= 3 && segments[0] == "namespaces" && !(segments.Length == 3 && group.Length == 0 && segments[2] is "status" or "finalize"))
        {
            ns = segments[1];
            i = 2;
        }

        if (i >= segments.Length)
        {
            return null;
        }

        ResourceInfo? resource = catalog.Find(group, version, segments[i]);
        if (resource is null || (ns is not null && !resource.Namespaced))
        {
            return null;
        }

        string? name = i + 1 < segments.Length ? segments[i + 1] : null;
        string? subresource = i + 2 < segments.Length ? segments[i + 2] : null;
        if (i + 3 < segments.Length || (subresource is not null && !resource.HasSubresource(subresource)))
        {
            return null;
        }

        string verb = method switch
        {
            "GET" or "HEAD" when name is null => watch ? "watch" : "list",
            "GET" or "HEAD" => watch ? "watch" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" when name is null => "deletecollection",
            "DELETE" => "delete",
            _ => "unknown",
        };
        return new RequestInfo(verb, resource, ns, name, subresource);
    }
}
