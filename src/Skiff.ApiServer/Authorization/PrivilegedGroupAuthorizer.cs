using k8s.Models;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's first authorizer: members of <c>system:masters</c> may do everything, whatever RBAC holds, so an admin can always
/// repair a broken policy (and the API server's own writes never depend on it).
/// </summary>
internal sealed class PrivilegedGroupAuthorizer : IAuthorizer, IRuleResolver
{
    public const string Group = "system:masters";

    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return ValueTask.FromResult(attributes.User.IsMaster
            ? (AuthorizationDecision.Allow, "the user is in system:masters")
            : (AuthorizationDecision.NoOpinion, string.Empty));
    }

    public ResolvedRules RulesFor(UserInfo user, string ns)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsMaster
            ? new ResolvedRules(
                [
                    new V1PolicyRule { Verbs = ["*"], ApiGroups = ["*"], Resources = ["*"] },
                    new V1PolicyRule { Verbs = ["*"], NonResourceURLs = ["*"] },
                ],
                false,
                string.Empty)
            : new ResolvedRules([], false, string.Empty);
    }
}
