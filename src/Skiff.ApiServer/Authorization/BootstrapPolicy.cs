using k8s.Models;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// The roles and bindings every cluster starts with: upstream's bootstrap policy (cluster-admin, admin, edit, view and the
/// aggregate-to-* pieces, and the <c>system:</c> roles), plus Skiff's own roles for its components
/// (<see cref="SkiffClusterRoles"/>). Each object carries <c>rbac.authorization.kubernetes.io/autoupdate: "true"</c>, so the
/// server re-adds what is missing at every start unless an admin set it to "false".
/// </summary>
internal static partial class BootstrapPolicy
{
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    public const string AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
    public const string AggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
    public const string AggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

    private static readonly string[] s_read = ["get", "list", "watch"];
    private static readonly string[] s_write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] s_readWrite = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];

    /// <summary>All bootstrap ClusterRoles: upstream's, then Skiff's.</summary>
    public static IEnumerable<V1ClusterRole> ClusterRoles() => UpstreamClusterRoles().Concat(SkiffClusterRoles());

    private static IEnumerable<V1ClusterRole> UpstreamClusterRoles()
    {
        yield return Role("cluster-admin", null,
            Rule(["*"], ["*"], ["*"]),
            NonResource(["*"], "*"));
        yield return Aggregated("admin", AggregateToAdmin, null);
        yield return Aggregated("edit", AggregateToEdit, AggregateToAdmin);
        yield return Aggregated("view", AggregateToView, AggregateToEdit);
        yield return Role("system:aggregate-to-admin", AggregateToAdmin,
            Rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            Rule(s_readWrite, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]));
        yield return Role("system:aggregate-to-edit", AggregateToEdit,
            Rule(["impersonate"], [""], ["serviceaccounts"]),
            Rule(s_write, [""], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
            Rule(["create"], [""], ["pods/eviction"]),
            Rule(s_write, [""], ["replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"]),
            Rule(["create"], [""], ["serviceaccounts/token"]),
            Rule(s_write, ["apps"], ["statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"]),
            Rule(s_write, ["autoscaling"], ["horizontalpodautoscalers"]),
            Rule(s_write, ["batch"], ["jobs", "cronjobs"]),
            Rule(s_write, ["extensions"], ["daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"]),
            Rule(s_write, ["policy"], ["poddisruptionbudgets"]),
            Rule(s_write, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
            Rule(s_write, ["coordination.k8s.io"], ["leases"]));
        yield return Role("system:aggregate-to-view", AggregateToView,
            Rule(s_read, [""], ["pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"]),
            Rule(s_read, [""], ["limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"]),
            Rule(s_read, [""], ["namespaces"]),
            Rule(s_read, ["discovery.k8s.io"], ["endpointslices"]),
            Rule(s_read, ["apps"], ["controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"]),
            Rule(s_read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            Rule(s_read, ["batch"], ["jobs", "jobs/status", "cronjobs", "cronjobs/status"]),
            Rule(s_read, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale", "networkpolicies"]),
            Rule(s_read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            Rule(s_read, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]));
        yield return Role("system:basic-user", null,
            Rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]));
        yield return Role("system:discovery", null,
            NonResource(["get"], "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"));
        yield return Role("system:public-info-viewer", null,
            NonResource(["get"], "/healthz", "/livez", "/readyz", "/version", "/version/"));
        yield return Role("system:monitoring", null,
            NonResource(["get"], "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"));
        yield return Role("system:auth-delegator", null,
            Rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            Rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]));
        yield return Role("system:node-proxier", null,
            Rule(["list", "watch"], [""], ["services", "endpoints"]),
            Rule(["get", "list", "watch"], [""], ["nodes"]),
            Rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            Rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]));
        yield return Node();
        yield return Scheduler();
        yield return Role("system:volume-scheduler", null,
            Rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumes"]),
            Rule(s_read, ["storage.k8s.io"], ["storageclasses"]),
            Rule(["get", "list", "patch", "update", "watch"], [""], ["persistentvolumeclaims"]));
        yield return ControllerManager();
    }

    /// <summary>
    /// Upstream's system:node rules without the reads the Node authorizer limits to a node's own pods (secrets, config maps,
    /// claims, volumes, service-account tokens): Skiff binds this role to system:nodes, upstream binds it to no one.
    /// </summary>
    private static V1ClusterRole Node() => Role("system:node", null,
        Rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        Rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews", "localsubjectaccessreviews"]),
        Rule(s_read, [""], ["services"]),
        Rule(["create", "get", "list", "watch"], [""], ["nodes"]),
        Rule(["update", "patch"], [""], ["nodes/status"]),
        Rule(["update", "patch"], [""], ["nodes"]),
        Rule(["create", "update", "patch"], [""], ["events"]),
        Rule(s_read, [""], ["pods"]),
        Rule(["create", "delete"], [""], ["pods"]),
        Rule(["update", "patch"], [""], ["pods/status"]),
        Rule(["create"], [""], ["pods/eviction"]),
        Rule(["get"], [""], ["endpoints"]),
        Rule(["update", "patch"], [""], ["persistentvolumeclaims/status"]),
        Rule(["get", "create", "update", "patch", "delete"], ["coordination.k8s.io"], ["leases"]),
        Rule(["get"], ["storage.k8s.io"], ["volumeattachments"]),
        Rule(["get"], ["storage.k8s.io"], ["csidrivers"]),
        Rule(["get", "update", "patch", "create", "delete"], ["storage.k8s.io"], ["csinodes"]),
        Rule(["get", "list", "watch"], ["node.k8s.io"], ["runtimeclasses"]));

    private static V1ClusterRole Scheduler() => Role("system:kube-scheduler", null,
        Rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
        Rule(["create"], ["coordination.k8s.io"], ["leases"]),
        Rule(["get", "update"], ["coordination.k8s.io"], ["leases"], "kube-scheduler"),
        Rule(["create"], [""], ["endpoints"]),
        Rule(["get", "update"], [""], ["endpoints"], "kube-scheduler"),
        Rule(s_read, [""], ["nodes"]),
        Rule(["delete", "get", "list", "watch"], [""], ["pods"]),
        Rule(["create"], [""], ["bindings", "pods/binding"]),
        Rule(["patch", "update"], [""], ["pods/status"]),
        Rule(["list", "watch"], [""], ["replicationcontrollers", "services"]),
        Rule(["list", "watch"], ["apps", "extensions"], ["replicasets"]),
        Rule(["list", "watch"], ["apps"], ["statefulsets"]),
        Rule(["list", "watch"], ["policy"], ["poddisruptionbudgets"]),
        Rule(["list", "watch"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
        Rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        Rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        Rule(["list", "watch"], ["storage.k8s.io"], ["csinodes"]),
        Rule(["list", "watch"], [""], ["namespaces"]),
        Rule(["list", "watch"], ["storage.k8s.io"], ["csidrivers", "csistoragecapacities"]));

    private static V1ClusterRole ControllerManager() => Role("system:kube-controller-manager", null,
        Rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
        Rule(["create"], ["coordination.k8s.io"], ["leases"]),
        Rule(["get", "update"], ["coordination.k8s.io"], ["leases"], "kube-controller-manager"),
        Rule(["create"], [""], ["endpoints"]),
        Rule(["get", "update"], [""], ["endpoints"], "kube-controller-manager"),
        Rule(["create"], [""], ["secrets", "serviceaccounts"]),
        Rule(["delete"], [""], ["secrets"]),
        Rule(["get"], [""], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
        Rule(["update"], [""], ["secrets", "serviceaccounts"]),
        Rule(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
        Rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        // The garbage collector and the quota controller see every resource.
        Rule(["list", "watch"], ["*"], ["*"]),
        Rule(["create"], [""], ["serviceaccounts/token"]));

    internal static V1ClusterRole Role(string name, string? aggregateTo, params V1PolicyRule[] rules)
    {
        var labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        if (aggregateTo is not null)
        {
            labels[aggregateTo] = "true";
        }

        return new V1ClusterRole
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "ClusterRole",
            Metadata = new V1ObjectMeta { Name = name, Labels = labels, Annotations = AutoUpdate() },
            Rules = [.. rules],
        };
    }

    // admin, edit and view: their rules come from the ClusterRoles their selector matches; edit aggregates into admin and
    // view into edit, as upstream labels them.
    private static V1ClusterRole Aggregated(string name, string selectorLabel, string? aggregateTo)
    {
        V1ClusterRole role = Role(name, aggregateTo);
        role.Rules = [];
        role.AggregationRule = new V1AggregationRule
        {
            ClusterRoleSelectors = [new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [selectorLabel] = "true" } }],
        };
        return role;
    }

    internal static V1PolicyRule Rule(string[] verbs, string[] groups, string[] resources, params string[] names) => new()
    {
        Verbs = [.. verbs],
        ApiGroups = [.. groups],
        Resources = [.. resources],
        ResourceNames = names.Length == 0 ? null : [.. names],
    };

    private static V1PolicyRule NonResource(string[] verbs, params string[] urls) => new() { Verbs = [.. verbs], NonResourceURLs = [.. urls] };

    private static Dictionary<string, string> AutoUpdate() => new() { [AutoUpdateAnnotation] = "true" };
}
