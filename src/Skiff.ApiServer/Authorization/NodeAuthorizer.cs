using System.Text.Json.Nodes;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's Node authorizer, asked before RBAC: a node (user <c>system:node:NAME</c> in <c>system:nodes</c>) may read a
/// secret, config map, claim or volume, or request a service-account token, only when a pod bound to it references that
/// object. Everything else a node does is left to RBAC (the <c>system:node</c> role). It never denies: a node asking for an
/// object no pod of its own references gets no opinion, and RBAC grants nodes no secrets.
/// The pods are read from the watch cache, one namespace at a time, by their indexed <c>spec.nodeName</c> field.
/// </summary>
internal sealed class NodeAuthorizer : IAuthorizer, IRuleResolver
{
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    private readonly ResourceBucket _pods;
    private readonly ResourceBucket _claims;
    private readonly ResourceInfo _podResource;
    private readonly ResourceInfo _claimResource;

    public NodeAuthorizer(ApiWatchCache cache, ResourceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(catalog);
        _podResource = catalog.Find(string.Empty, "v1", "pods")!;
        _claimResource = catalog.Find(string.Empty, "v1", "persistentvolumeclaims")!;
        _pods = cache.Bucket(_podResource);
        _claims = cache.Bucket(_claimResource);
    }

    /// <summary>The node a user is, or null when it is no node identity.</summary>
    public static string? NodeName(UserInfo user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) && user.Groups.Contains(NodesGroup)
            ? user.Name[NodeUserPrefix.Length..]
            : null;
    }

    public ValueTask<(AuthorizationDecision Decision, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        string? node = NodeName(attributes.User);
        if (node is null || !attributes.IsResourceRequest || attributes.ApiGroup.Length != 0)
        {
            return NoOpinion(string.Empty);
        }

        if (node.Length == 0)
        {
            return NoOpinion($"unknown node for user \"{attributes.User.Name}\"");
        }

        return ValueTask.FromResult(attributes.Resource switch
        {
            "secrets" => ReadNamespaced(node, attributes, NodeGraph.Secrets),
            "configmaps" => ReadNamespaced(node, attributes, NodeGraph.ConfigMaps),
            "persistentvolumeclaims" => GetOnly(attributes) ?? Related(node, attributes, NodeGraph.Claims),
            "persistentvolumes" => GetOnly(attributes) ?? RelatedVolume(node, attributes),
            "serviceaccounts" when attributes.Subresource == "token" => CreateToken(node, attributes),
            _ => (AuthorizationDecision.NoOpinion, string.Empty),
        });
    }

    private (AuthorizationDecision, string) ReadNamespaced(string node, AuthorizationAttributes attributes, Func<JsonNode, IEnumerable<string>> references)
    {
        if (attributes.Verb is not ("get" or "list" or "watch"))
        {
            return (AuthorizationDecision.NoOpinion, "can only read resources of this type");
        }

        if (!string.IsNullOrEmpty(attributes.Subresource))
        {
            return (AuthorizationDecision.NoOpinion, "cannot read subresource");
        }

        if (string.IsNullOrEmpty(attributes.Namespace))
        {
            return (AuthorizationDecision.NoOpinion, "can only read namespaced object of this type");
        }

        return Related(node, attributes, references);
    }

    private static (AuthorizationDecision, string)? GetOnly(AuthorizationAttributes attributes) =>
        attributes.Verb != "get" ? (AuthorizationDecision.NoOpinion, "can only get individual resources of this type")
        : !string.IsNullOrEmpty(attributes.Subresource) ? (AuthorizationDecision.NoOpinion, "cannot get subresource")
        : null;

    private (AuthorizationDecision, string) CreateToken(string node, AuthorizationAttributes attributes)
    {
        if (attributes.Verb != "create" || string.IsNullOrEmpty(attributes.Name))
        {
            return (AuthorizationDecision.NoOpinion, "can only create tokens for individual service accounts");
        }

        return Related(node, attributes, pod => [NodeGraph.ServiceAccount(pod)]);
    }

    private (AuthorizationDecision, string) Related(string node, AuthorizationAttributes attributes, Func<JsonNode, IEnumerable<string>> references)
    {
        if (string.IsNullOrEmpty(attributes.Name))
        {
            return (AuthorizationDecision.NoOpinion, "No Object name found");
        }

        foreach (JsonNode pod in PodsOn(node, attributes.Namespace))
        {
            if (references(pod).Contains(attributes.Name))
            {
                return (AuthorizationDecision.Allow, string.Empty);
            }
        }

        return (AuthorizationDecision.NoOpinion, $"no relationship found between node '{node}' and this object");
    }

    // A volume is the node's when a claim one of its pods mounts is bound to it.
    private (AuthorizationDecision, string) RelatedVolume(string node, AuthorizationAttributes attributes)
    {
        if (string.IsNullOrEmpty(attributes.Name))
        {
            return (AuthorizationDecision.NoOpinion, "No Object name found");
        }

        foreach (JsonNode pod in PodsOn(node, null))
        {
            string ns = pod["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty;
            foreach (string claim in NodeGraph.Claims(pod).Where(c => c.Length > 0))
            {
                if (_claims.Get(StorageKeys.Object(_claimResource, ns, claim)) is { } cached
                    && JsonNode.Parse(cached.Json)?["spec"]?["volumeName"]?.GetValue<string>() == attributes.Name)
                {
                    return (AuthorizationDecision.Allow, string.Empty);
                }
            }
        }

        return (AuthorizationDecision.NoOpinion, $"no relationship found between node '{node}' and this object");
    }

    private IEnumerable<JsonNode> PodsOn(string node, string? ns)
    {
        foreach (CachedObject pod in _pods.Snapshot(StorageKeys.ListPrefix(_podResource, ns), null))
        {
            if (pod.Fields.TryGetValue("spec.nodeName", out string? bound) && bound == node && JsonNode.Parse(pod.Json) is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    /// <summary>The graph cannot be listed as rules: a node's list is marked incomplete, as upstream does.</summary>
    public ResolvedRules RulesFor(UserInfo user, string ns) =>
        NodeName(user) is null
            ? new ResolvedRules([], false, string.Empty)
            : new ResolvedRules([], true, "node authorizer does not support user rule resolution");

    private static ValueTask<(AuthorizationDecision Decision, string Reason)> NoOpinion(string reason) =>
        ValueTask.FromResult((AuthorizationDecision.NoOpinion, reason));
}
