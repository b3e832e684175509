using System.Collections.Frozen;
using k8s.Models;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// An immutable index of the cluster's Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, built from the watch cache
/// and replaced whole when one of them changes, so a request reads one consistent policy without locks or store reads.
/// </summary>
internal sealed class RbacPolicy
{
    public static readonly RbacPolicy Empty = new([], [], [], []);

    private readonly FrozenDictionary<string, V1ClusterRole> _clusterRoles;
    private readonly FrozenDictionary<string, V1Role> _roles;
    private readonly V1ClusterRoleBinding[] _clusterRoleBindings;
    private readonly FrozenDictionary<string, V1RoleBinding[]> _roleBindings;

    public RbacPolicy(IEnumerable<V1ClusterRole> clusterRoles, IEnumerable<V1Role> roles, IEnumerable<V1ClusterRoleBinding> clusterRoleBindings, IEnumerable<V1RoleBinding> roleBindings)
    {
        _clusterRoles = clusterRoles.ToFrozenDictionary(r => r.Metadata?.Name ?? string.Empty, StringComparer.Ordinal);
        _roles = roles.ToFrozenDictionary(r => (r.Metadata?.NamespaceProperty ?? string.Empty) + "/" + (r.Metadata?.Name ?? string.Empty), StringComparer.Ordinal);
        _clusterRoleBindings = [.. clusterRoleBindings];
        _roleBindings = roleBindings
            .GroupBy(b => b.Metadata?.NamespaceProperty ?? string.Empty, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Calls <paramref name="visit"/> with every rule that applies to <paramref name="user"/>: those of ClusterRoleBindings, then
    /// (with a namespace) those of the namespace's RoleBindings, each with upstream's description of where it comes from.
    /// Stops when <paramref name="visit"/> returns false. Returns the errors met (a binding to a missing role), as upstream reports them.
    /// </summary>
    public List<string> VisitRules(UserInfo user, string? ns, Func<string, V1PolicyRule, bool> visit)
    {
        var errors = new List<string>();
        foreach (V1ClusterRoleBinding binding in _clusterRoleBindings)
        {
            Rbacv1Subject? subject = binding.Subjects?.FirstOrDefault(s => RbacSubjects.AppliesTo(s, user, null));
            if (subject is null)
            {
                continue;
            }

            IList<V1PolicyRule>? rules = RulesOf(binding.RoleRef, null, errors);
            string source = $"ClusterRoleBinding \"{binding.Metadata?.Name}\" of {binding.RoleRef?.Kind} \"{binding.RoleRef?.Name}\" to {RbacSubjects.Describe(subject, null)}";
            if (!VisitAll(rules, source, visit))
            {
                return errors;
            }
        }

        if (string.IsNullOrEmpty(ns) || !_roleBindings.TryGetValue(ns, out V1RoleBinding[]? bindings))
        {
            return errors;
        }

        foreach (V1RoleBinding binding in bindings)
        {
            Rbacv1Subject? subject = binding.Subjects?.FirstOrDefault(s => RbacSubjects.AppliesTo(s, user, ns));
            if (subject is null)
            {
                continue;
            }

            IList<V1PolicyRule>? rules = RulesOf(binding.RoleRef, ns, errors);
            string source = $"RoleBinding \"{binding.Metadata?.Name}/{ns}\" of {binding.RoleRef?.Kind} \"{binding.RoleRef?.Name}\" to {RbacSubjects.Describe(subject, ns)}";
            if (!VisitAll(rules, source, visit))
            {
                return errors;
            }
        }

        return errors;
    }

    /// <summary>A ClusterRole by name (aggregation reads them), or null.</summary>
    public V1ClusterRole? ClusterRole(string name) => _clusterRoles.GetValueOrDefault(name);

    /// <summary>A Role by namespace and name (the escalation check reads the role a binding grants), or null.</summary>
    public V1Role? Role(string ns, string name) => _roles.GetValueOrDefault(ns + "/" + name);

    private static bool VisitAll(IList<V1PolicyRule>? rules, string source, Func<string, V1PolicyRule, bool> visit)
    {
        foreach (V1PolicyRule rule in rules ?? [])
        {
            if (!visit(source, rule))
            {
                return false;
            }
        }

        return true;
    }

    private IList<V1PolicyRule>? RulesOf(V1RoleRef? roleRef, string? ns, List<string> errors)
    {
        switch (roleRef?.Kind)
        {
            case "ClusterRole":
                if (_clusterRoles.TryGetValue(roleRef.Name ?? string.Empty, out V1ClusterRole? clusterRole))
                {
                    return clusterRole.Rules;
                }

                errors.Add($"clusterrole.rbac.authorization.k8s.io \"{roleRef.Name}\" not found");
                return null;
            case "Role" when ns is not null:
                if (_roles.TryGetValue(ns + "/" + roleRef.Name, out V1Role? role))
                {
                    return role.Rules;
                }

                errors.Add($"role.rbac.authorization.k8s.io \"{roleRef.Name}\" not found");
                return null;
            default:
                errors.Add($"unsupported role reference kind: \"{roleRef?.Kind}\"");
                return null;
        }
    }
}
