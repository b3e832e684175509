using k8s.Models;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>What a user may do in a namespace, as one authorizer sees it (SelfSubjectRulesReview).</summary>
/// <param name="Rules">Resource and non-resource rules (a PolicyRule carries either kind).</param>
/// <param name="Incomplete">True when the authorizer cannot list everything it would allow.</param>
/// <param name="EvaluationError">Why the list may be incomplete, or empty.</param>
internal sealed record ResolvedRules(IReadOnlyList<V1PolicyRule> Rules, bool Incomplete, string EvaluationError);

/// <summary>An authorizer that can list the rules it applies to a user (upstream's authorizer.RuleResolver).</summary>
internal interface IRuleResolver
{
    ResolvedRules RulesFor(UserInfo user, string ns);
}
