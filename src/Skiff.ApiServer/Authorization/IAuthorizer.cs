using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>What an authorizer answers (upstream's authorizer.Decision).</summary>
public enum AuthorizationDecision
{
    /// <summary>This authorizer has nothing to say; the next one is asked.</summary>
    NoOpinion,

    /// <summary>The request is allowed; no later authorizer is asked.</summary>
    Allow,

    /// <summary>The request is refused; no later authorizer is asked.</summary>
    Deny,
}

/// <summary>
/// One request as authorizers see it (upstream's authorizer.Attributes). Resource requests carry group, resource, optional
/// subresource, namespace and name; non-resource requests (<c>/metrics</c>, <c>/healthz</c>) carry only <see cref="Path"/>.
/// </summary>
/// <param name="User">Who asks (after impersonation).</param>
/// <param name="Verb">get, list, watch, create, update, patch, delete, deletecollection, impersonate, ...; for non-resource requests the lower-cased HTTP method.</param>
/// <param name="ApiGroup">The API group ("" for core).</param>
/// <param name="Resource">The resource (pods); empty for non-resource requests.</param>
/// <param name="Subresource">status, scale, log, ... or null.</param>
/// <param name="Namespace">The namespace, or null at the cluster scope.</param>
/// <param name="Name">The object's name, or null.</param>
/// <param name="Path">The URL path of a non-resource request; null for resource requests.</param>
public sealed record AuthorizationAttributes(
    UserInfo User,
    string Verb,
    string ApiGroup,
    string Resource,
    string? Subresource,
    string? Namespace,
    string? Name,
    string? Path = null)
{
    /// <summary>True for requests about API resources; false for non-resource URLs.</summary>
    public bool IsResourceRequest => Path is null;
}

/// <summary>Decides whether a request may go on. Authorizers are asked in order; the first Allow or Deny wins.</summary>
public interface IAuthorizer
{
    ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken);
}
