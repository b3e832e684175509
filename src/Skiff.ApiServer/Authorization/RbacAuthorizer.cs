using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's RBAC authorizer: allows a request when a rule of a role bound to the user (by a ClusterRoleBinding, or by a
/// RoleBinding in the request's namespace) matches it; otherwise it has no opinion (RBAC never denies). The policy is read from
/// the API server's watch cache and re-indexed only when one of the four RBAC resources changed.
/// </summary>
internal sealed partial class RbacAuthorizer : IAuthorizer, IRuleResolver
{
    private readonly ApiWatchCache _cache;
    private readonly ResourceBucket _clusterRoles;
    private readonly ResourceBucket _roles;
    private readonly ResourceBucket _clusterRoleBindings;
    private readonly ResourceBucket _roleBindings;
    private readonly ILogger<RbacAuthorizer> _logger;
    private readonly Lock _rebuildLock = new();
    private volatile Indexed _indexed = new(-1, RbacPolicy.Empty);

    public RbacAuthorizer(ApiWatchCache cache, ResourceCatalog catalog, ILogger<RbacAuthorizer> logger)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(catalog);
        _cache = cache;
        _clusterRoles = cache.Bucket(Find(catalog, "clusterroles"));
        _roles = cache.Bucket(Find(catalog, "roles"));
        _clusterRoleBindings = cache.Bucket(Find(catalog, "clusterrolebindings"));
        _roleBindings = cache.Bucket(Find(catalog, "rolebindings"));
        _logger = logger;
    }

    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        string? reason = null;
        List<string> errors = Policy().VisitRules(attributes.User, attributes.IsResourceRequest ? attributes.Namespace : null, (source, rule) =>
        {
            if (PolicyRules.Allows(attributes, rule))
            {
                reason = "RBAC: allowed by " + source;
                return false;
            }

            return true;
        });
        if (reason is not null)
        {
            return ValueTask.FromResult((AuthorizationDecision.Allow, reason));
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            string what = attributes.IsResourceRequest
                ? $"{attributes.Resource}{(string.IsNullOrEmpty(attributes.Subresource) ? string.Empty : "/" + attributes.Subresource)} in group \"{attributes.ApiGroup}\" named \"{attributes.Name}\" in namespace \"{attributes.Namespace}\""
                : $"path {attributes.Path}";
            LogNoRule(_logger, attributes.User.Name, attributes.User.Groups, attributes.Verb, what);
        }

        return ValueTask.FromResult((AuthorizationDecision.NoOpinion, errors.Count == 0 ? string.Empty : "RBAC: " + string.Join(", ", errors)));
    }

    /// <summary>Every rule bound to <paramref name="user"/> at the cluster scope and in <paramref name="ns"/> (SelfSubjectRulesReview).</summary>
    public ResolvedRules RulesFor(UserInfo user, string ns)
    {
        var rules = new List<V1PolicyRule>();
        List<string> errors = Policy().VisitRules(user, ns, (_, rule) =>
        {
            rules.Add(rule);
            return true;
        });
        return new ResolvedRules(rules, errors.Count > 0, errors.Count == 0 ? string.Empty : string.Join(", ", errors));
    }

    /// <summary>The current policy, rebuilt when a Role, ClusterRole or binding changed since the last request.</summary>
    internal RbacPolicy Policy()
    {
        long version = _clusterRoles.Version + _roles.Version + _clusterRoleBindings.Version + _roleBindings.Version;
        Indexed indexed = _indexed;
        if (indexed.Version == version)
        {
            return indexed.Policy;
        }

        lock (_rebuildLock)
        {
            indexed = _indexed;
            version = _clusterRoles.Version + _roles.Version + _clusterRoleBindings.Version + _roleBindings.Version;
            if (indexed.Version != version)
            {
                // The versions only grow, so a sum read before the snapshots never claims more than they hold.
                var policy = new RbacPolicy(
                    Read<V1ClusterRole>(_clusterRoles),
                    Read<V1Role>(_roles),
                    Read<V1ClusterRoleBinding>(_clusterRoleBindings),
                    Read<V1RoleBinding>(_roleBindings));
                indexed = new Indexed(version, policy);
                _indexed = indexed;
                LogRebuilt(_logger, _cache.Revision);
            }

            return indexed.Policy;
        }
    }

    private List<T> Read<T>(ResourceBucket bucket)
    {
        var items = new List<T>();
        foreach (CachedObject cached in bucket.Snapshot("/", null))
        {
            try
            {
                if (JsonSerializer.Deserialize<T>(cached.Json, SkiffJson.Options) is { } item)
                {
                    items.Add(item);
                }
            }
            catch (JsonException ex)
            {
                LogUnreadable(_logger, cached.Key, ex);
            }
        }

        return items;
    }

    private static ResourceInfo Find(ResourceCatalog catalog, string plural) =>
        catalog.Find("rbac.authorization.k8s.io", "v1", plural) ?? throw new InvalidOperationException($"the catalog has no {plural}.rbac.authorization.k8s.io");

    private sealed record Indexed(long Version, RbacPolicy Policy);
}
