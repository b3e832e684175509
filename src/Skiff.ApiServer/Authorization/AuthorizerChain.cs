using k8s.Models;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// The API server's authorizers in order (upstream's union authorizer): the first Allow or Deny decides; when every
/// authorizer has no opinion the request is refused, with the reasons they gave (one a line).
/// </summary>
internal sealed class AuthorizerChain(IEnumerable<IAuthorizer> authorizers)
{
    private readonly IAuthorizer[] _authorizers = [.. authorizers];

    public async ValueTask<(bool Allowed, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        (AuthorizationDecision decision, string reason) = await DecideAsync(attributes, cancellationToken);
        return (decision == AuthorizationDecision.Allow, reason);
    }

    /// <summary>The decision itself: access reviews tell an explicit Deny (status.denied) from no opinion.</summary>
    public async ValueTask<(AuthorizationDecision Decision, string Reason)> DecideAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        List<string>? reasons = null;
        foreach (IAuthorizer authorizer in _authorizers)
        {
            (AuthorizationDecision decision, string reason) = await authorizer.AuthorizeAsync(attributes, cancellationToken);
            if (decision != AuthorizationDecision.NoOpinion)
            {
                return (decision, reason);
            }

            if (reason.Length > 0)
            {
                (reasons ??= []).Add(reason);
            }
        }

        return (AuthorizationDecision.NoOpinion, reasons is null ? string.Empty : string.Join("\n", reasons));
    }

    /// <summary>The rules of every authorizer that can list them, for SelfSubjectRulesReview.</summary>
    public ResolvedRules RulesFor(UserInfo user, string ns)
    {
        var rules = new List<V1PolicyRule>();
        bool incomplete = false;
        var errors = new List<string>();
        foreach (IRuleResolver resolver in _authorizers.OfType<IRuleResolver>())
        {
            ResolvedRules resolved = resolver.RulesFor(user, ns);
            rules.AddRange(resolved.Rules);
            incomplete |= resolved.Incomplete;
            if (resolved.EvaluationError.Length > 0)
            {
                errors.Add(resolved.EvaluationError);
            }
        }

        return new ResolvedRules(rules, incomplete, errors.Count switch { 0 => string.Empty, 1 => errors[0], _ => "[" + string.Join(", ", errors) + "]" });
    }
}
