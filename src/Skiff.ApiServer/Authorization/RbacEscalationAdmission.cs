using k8s.Models;
using Skiff.ApiServer.Admission;
using Skiff.ApiServer.Authentication;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's RBAC escalation prevention (the rbac registry's policy-based storage), as a validating plugin: a Role or
/// ClusterRole may be written by someone allowed to <c>escalate</c> it or who already holds every rule it grants (in the role's
/// namespace for a Role, cluster-wide for a ClusterRole); setting a ClusterRole's aggregationRule needs every permission. A
/// RoleBinding or ClusterRoleBinding may be written by someone allowed to <c>bind</c> the role it references or who holds every
/// rule of that role. system:masters (which includes the API server itself) is never checked, as upstream.
/// </summary>
internal sealed class RbacEscalationAdmission(RbacAuthorizer rbac, AuthorizerChain authorizer) : IValidatingAdmissionPlugin
{
    private const string Group = "rbac.authorization.k8s.io";

    public string Name => "RBACEscalationPrevention";

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Resource.Group != Group || attributes.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update)
            || !string.IsNullOrEmpty(attributes.Subresource) || attributes.User.IsMaster)
        {
            return;
        }

        switch (attributes.Object)
        {
            case V1Role role:
                if (!await AllowedAsync(attributes, "escalate", "roles", attributes.Namespace, attributes.Name, cancellationToken))
                {
                    Confirm(attributes, role.Rules ?? [], attributes.Namespace ?? string.Empty);
                }

                break;
            case V1ClusterRole clusterRole:
                if (!await AllowedAsync(attributes, "escalate", "clusterroles", null, attributes.Name, cancellationToken))
                {
                    Confirm(attributes, clusterRole.Rules ?? [], string.Empty);
                    bool aggregationChanged = clusterRole.AggregationRule is not null
                        && (attributes.OldObject is not V1ClusterRole old || !SameAggregation(old.AggregationRule, clusterRole.AggregationRule));
                    if (aggregationChanged && Missing(attributes.User, RbacEscalation.FullAuthority, string.Empty).Missing.Count > 0)
                    {
                        throw Forbidden(attributes, "must have cluster-admin privileges to use the aggregationRule");
                    }
                }

                break;
            case V1RoleBinding binding:
                await ConfirmBindAsync(attributes, binding.RoleRef, attributes.Namespace, cancellationToken);
                break;
            case V1ClusterRoleBinding binding:
                await ConfirmBindAsync(attributes, binding.RoleRef, null, cancellationToken);
                break;
        }
    }

    private async Task ConfirmBindAsync(AdmissionAttributes attributes, V1RoleRef? roleRef, string? ns, CancellationToken cancellationToken)
    {
        string resource = roleRef?.Kind == "ClusterRole" ? "clusterroles" : "roles";
        if (roleRef is null || await AllowedAsync(attributes, "bind", resource, ns, roleRef.Name, cancellationToken))
        {
            return;
        }

        RbacPolicy policy = rbac.Policy();
        bool found;
        IList<V1PolicyRule>? rules;
        if (roleRef.Kind == "ClusterRole")
        {
            V1ClusterRole? clusterRole = policy.ClusterRole(roleRef.Name);
            (found, rules) = (clusterRole is not null, clusterRole?.Rules);
        }
        else
        {
            V1Role? role = ns is null ? null : policy.Role(ns, roleRef.Name);
            (found, rules) = (role is not null, role?.Rules);
        }

        if (!found)
        {
            // Upstream reads the referenced role's rules first; a missing role is its NotFound.
            throw ApiErrors.NotFound(Group, resource, roleRef.Name);
        }

        Confirm(attributes, rules ?? [], ns ?? string.Empty);
    }

    private void Confirm(AdmissionAttributes attributes, IList<V1PolicyRule> requested, string ns)
    {
        (List<string> missing, string errors) = Missing(attributes.User, requested, ns);
        if (missing.Count > 0)
        {
            throw Forbidden(attributes, RbacEscalation.Message(attributes.User, missing, errors));
        }
    }

    private (List<string> Missing, string Errors) Missing(UserInfo user, IEnumerable<V1PolicyRule> requested, string ns)
    {
        ResolvedRules owned = rbac.RulesFor(user, ns);
        return (RbacEscalation.Missing(requested, owned.Rules), owned.EvaluationError);
    }

    private async Task<bool> AllowedAsync(AdmissionAttributes attributes, string verb, string resource, string? ns, string? name, CancellationToken cancellationToken)
    {
        (bool allowed, _) = await authorizer.AuthorizeAsync(
            new AuthorizationAttributes(attributes.User, verb, Group, resource, null, ns, name), cancellationToken);
        return allowed;
    }

    private static bool SameAggregation(V1AggregationRule? a, V1AggregationRule? b) =>
        System.Text.Json.JsonSerializer.Serialize(a, Skiff.Machinery.Json.SkiffJson.Options) == System.Text.Json.JsonSerializer.Serialize(b, Skiff.Machinery.Json.SkiffJson.Options);

    private static StatusException Forbidden(AdmissionAttributes attributes, string cause) =>
        ApiErrors.Forbidden(Group, attributes.Resource.Plural, attributes.Name, cause);
}
