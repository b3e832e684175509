using k8s.Models;

namespace Skiff.ApiServer.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>Skiff's controller identity (all controllers run as this one user, unlike upstream's per-controller accounts).</summary>
    public const string ControllersRole = "system:skiff:controllers";

    /// <summary>What Skiff's node agent needs beyond the kubelet's system:node: its proxy, cluster DNS and network policy.</summary>
    public const string NodeRole = "system:skiff:node";

    private static IEnumerable<V1ClusterRole> SkiffClusterRoles()
    {
        yield return Controllers();
        yield return Role(NodeRole, null,
            // Service proxy and cluster DNS: services (system:node has them), their slices and the nodes' addresses.
            Rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
            // Network policy: the policies, and the pods and namespaces their selectors pick.
            Rule(["list", "watch"], ["networking.k8s.io"], ["networkpolicies"]),
            Rule(["list", "watch"], [""], ["namespaces"]));
    }

    /// <summary>
    /// The union of upstream's per-controller roles for the controllers Skiff runs (src/Skiff.ControlPlane/Controllers), bound to
    /// system:kube-controller-manager on top of its own role, because Skiff runs every controller under that one identity.
    /// </summary>
    private static V1ClusterRole Controllers() => Role(ControllersRole, null,
        // Garbage collector (owner references across every kind) and namespace controller (empties a deleted namespace).
        Rule(["get", "list", "watch", "patch", "update", "delete", "deletecollection"], ["*"], ["*"]),
        Rule(["update"], [""], ["namespaces/finalize", "namespaces/status"]),
        // ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob: their pods and owned objects, and their status.
        Rule(["create"], [""], ["pods", "pods/binding", "persistentvolumeclaims"]),
        Rule(["update", "patch"], [""], ["pods/status"]),
        Rule(["create"], ["apps"], ["replicasets", "controllerrevisions"]),
        Rule(["update"], ["apps"], ["deployments/status", "replicasets/status", "daemonsets/status", "statefulsets/status", "deployments/finalizers", "replicasets/finalizers", "daemonsets/finalizers", "statefulsets/finalizers"]),
        Rule(["create"], ["batch"], ["jobs"]),
        Rule(["update", "patch"], ["batch"], ["jobs/status", "cronjobs/status", "jobs/finalizers", "cronjobs/finalizers"]),
        // Endpoints, EndpointSlice and the kube-dns endpoints.
        Rule(["create"], [""], ["endpoints", "endpoints/restricted"]),
        Rule(["create"], ["discovery.k8s.io"], ["endpointslices"]),
        // Node lifecycle, taint eviction, IPAM and pod GC: node health, taints, pod CIDRs; readiness of pods on lost nodes.
        Rule(["update", "patch"], [""], ["nodes/status"]),
        // Service load balancer.
        Rule(["update", "patch"], [""], ["services/status"]),
        // Resource quota and disruption budgets.
        Rule(["update"], [""], ["resourcequotas/status"]),
        Rule(["update"], ["policy"], ["poddisruptionbudgets/status"]),
        // Service accounts: the default account and kube-root-ca.crt in every namespace.
        Rule(["create"], [""], ["serviceaccounts", "configmaps"]),
        // Events from every controller, both event APIs.
        Rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
        // Leader election (the controller manager's Lease in kube-system).
        Rule(["get", "update"], ["coordination.k8s.io"], ["leases"], "kube-controller-manager"),
        Rule(["create"], ["coordination.k8s.io"], ["leases"]));
}
