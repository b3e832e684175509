using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Authorization until RBAC arrives: <c>system:masters</c> may do everything; the cluster's own components (the controller
/// manager, scheduler, proxy, API server and nodes, identified by the certificates Skiff issued them) may use the API;
/// every other user may only ask who they are and what they may do.
/// </summary>
internal sealed class InterimAuthorizer : IAuthorizer
{
    private static readonly HashSet<string> s_components =
    [
        "system:kube-controller-manager",
        "system:kube-scheduler",
        "system:kube-proxy",
        "system:apiserver",
    ];

    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        bool allowed = attributes.IsResourceRequest
            ? Allows(attributes.User, attributes.Verb, attributes.ApiGroup, attributes.Resource)
            : AllowsPath(attributes.User, attributes.Path!);
        return ValueTask.FromResult(allowed ? (AuthorizationDecision.Allow, attributes.User.IsMaster ? "the user is in system:masters" : "allowed for Skiff components until RBAC") : (AuthorizationDecision.NoOpinion, string.Empty));
    }

    public static bool Allows(UserInfo user, string verb, string group, string resource)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.IsMaster || s_components.Contains(user.Name) || user.Groups.Contains("system:nodes"))
        {
            return true;
        }

        // Self-reviews are always allowed upstream too (system:basic-user).
        return verb == "create" && resource is "selfsubjectreviews" or "selfsubjectaccessreviews" or "selfsubjectrulesreviews";
    }

    /// <summary>Non-resource paths (<c>/metrics</c>): the same users, plus <c>system:monitoring</c> as upstream's default RBAC allows.</summary>
    public static bool AllowsPath(UserInfo user, string path)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsMaster || s_components.Contains(user.Name) || user.Groups.Contains("system:nodes")
            || (path == "/metrics" && user.Groups.Contains("system:monitoring"));
    }
}
