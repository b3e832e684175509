using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Audit;

/// <summary>What a policy rule matches on: the requesting user and either a resource request or a non-resource path.</summary>
/// <param name="User">The authenticated user; null when authentication failed.</param>
/// <param name="Verb">The resource verb (get, list, watch, create, ...) or, for a non-resource request, the lower-case method.</param>
/// <param name="IsResourceRequest">True for a request on a resource; false for discovery, /version and the like.</param>
/// <param name="Group">The resource's API group ("" for core).</param>
/// <param name="Resource">The resource's plural name.</param>
/// <param name="Subresource">The subresource, if any.</param>
/// <param name="Namespace">The namespace ("" for cluster-scoped or all namespaces).</param>
/// <param name="Name">The object's name ("" when none).</param>
/// <param name="Path">The request path.</param>
internal sealed record AuditRequestAttributes(
    UserInfo? User, string Verb, bool IsResourceRequest, string Group, string Resource, string? Subresource, string Namespace, string Name, string Path);
