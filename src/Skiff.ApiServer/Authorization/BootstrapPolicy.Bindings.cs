using k8s.Models;
using Skiff.Machinery.Cluster;

namespace Skiff.ApiServer.Authorization;

internal static partial class BootstrapPolicy
{
    /// <summary>
    /// Upstream's default ClusterRoleBindings, plus Skiff's: system:node to the group system:nodes (upstream binds it to no one
    /// because its Node authorizer carries those rules itself; Skiff's Node authorizer only decides the pod-graph reads, so
    /// the rest comes from this binding), and Skiff's controller and node roles.
    /// </summary>
    public static IEnumerable<V1ClusterRoleBinding> ClusterRoleBindings()
    {
        yield return Binding("cluster-admin", "cluster-admin", Group("system:masters"));
        yield return Binding("system:basic-user", "system:basic-user", Group("system:authenticated"));
        yield return Binding("system:discovery", "system:discovery", Group("system:authenticated"));
        yield return Binding("system:public-info-viewer", "system:public-info-viewer", Group("system:authenticated"), Group("system:unauthenticated"));
        yield return Binding("system:monitoring", "system:monitoring", Group("system:monitoring"));
        yield return Binding("system:kube-scheduler", "system:kube-scheduler", User("system:kube-scheduler"));
        yield return Binding("system:volume-scheduler", "system:volume-scheduler", User("system:kube-scheduler"));
        yield return Binding("system:kube-controller-manager", "system:kube-controller-manager", User("system:kube-controller-manager"));
        yield return Binding("system:node-proxier", "system:node-proxier", User("system:kube-proxy"));
        yield return Binding("system:node", "system:node", Group("system:nodes"));
        yield return Binding(ControllersRole, ControllersRole, User("system:kube-controller-manager"));
        yield return Binding(NodeRole, NodeRole, Group("system:nodes"));
    }

    /// <summary>Namespaced Roles: a node reads the cluster's network settings (kube-system/skiff-cluster) and nothing else there.</summary>
    public static IEnumerable<V1Role> Roles()
    {
        yield return new V1Role
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "Role",
            Metadata = new V1ObjectMeta
            {
                Name = NodeRole,
                NamespaceProperty = ClusterNetwork.ConfigMapNamespace,
                Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
                Annotations = AutoUpdate(),
            },
            Rules = [Rule(["get"], [""], ["configmaps"], ClusterNetwork.ConfigMapName)],
        };
    }

    public static IEnumerable<V1RoleBinding> RoleBindings()
    {
        yield return new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1",
            Kind = "RoleBinding",
            Metadata = new V1ObjectMeta
            {
                Name = NodeRole,
                NamespaceProperty = ClusterNetwork.ConfigMapNamespace,
                Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
                Annotations = AutoUpdate(),
            },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = NodeRole },
            Subjects = [Group("system:nodes")],
        };
    }

    private static V1ClusterRoleBinding Binding(string name, string role, params Rbacv1Subject[] subjects) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRoleBinding",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            Annotations = AutoUpdate(),
        },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = role },
        Subjects = [.. subjects],
    };

    private static Rbacv1Subject Group(string name) => new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = name };

    private static Rbacv1Subject User(string name) => new() { ApiGroup = "rbac.authorization.k8s.io", Kind = "User", Name = name };
}
