namespace Skiff.Machinery.Catalog;

/// <summary>
/// The built-in resources served, in upstream's discovery order, with upstream's scope, verbs, short names, categories and
/// subresources (as kube-apiserver 1.32 reports them).
/// </summary>
internal static class UpstreamResources
{
    private static readonly string[] s_all = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] s_noCollection = ["create", "delete", "get", "list", "patch", "update", "watch"];
    private static readonly string[] s_createOnly = ["create"];
    private static readonly string[] s_readOnly = ["get", "list"];
    private static readonly string[] s_none = [];
    private static readonly string[] s_allCategory = ["all"];
    private static readonly string[] s_status = ["status"];
    private static readonly string[] s_scaleStatus = ["scale", "status"];

    public static IReadOnlyList<UpstreamResource> All { get; } =
    [
        // core/v1
        R("", "v1", "bindings", true, s_createOnly),
        R("", "v1", "componentstatuses", false, s_readOnly, ["cs"]),
        R("", "v1", "configmaps", true, s_all, ["cm"]),
        R("", "v1", "endpoints", true, s_all, ["ep"]),
        R("", "v1", "events", true, s_all, ["ev"]),
        R("", "v1", "limitranges", true, s_all, ["limits"]),
        R("", "v1", "namespaces", false, s_noCollection, ["ns"], subresources: ["finalize", "status"]),
        R("", "v1", "nodes", false, s_all, ["no"], subresources: ["proxy", "status"]),
        R("", "v1", "persistentvolumeclaims", true, s_all, ["pvc"], subresources: s_status),
        R("", "v1", "persistentvolumes", false, s_all, ["pv"], subresources: s_status),
        R("", "v1", "pods", true, s_all, ["po"], s_allCategory, ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"]),
        R("", "v1", "podtemplates", true, s_all),
        R("", "v1", "replicationcontrollers", true, s_all, ["rc"], s_allCategory, s_scaleStatus),
        R("", "v1", "resourcequotas", true, s_all, ["quota"], subresources: s_status),
        R("", "v1", "secrets", true, s_all),
        R("", "v1", "serviceaccounts", true, s_all, ["sa"], subresources: ["token"]),
        R("", "v1", "services", true, s_noCollection, ["svc"], s_allCategory, ["proxy", "status"]),

        // apps/v1
        R("apps", "v1", "controllerrevisions", true, s_all),
        R("apps", "v1", "daemonsets", true, s_all, ["ds"], s_allCategory, s_status),
        R("apps", "v1", "deployments", true, s_all, ["deploy"], s_allCategory, s_scaleStatus),
        R("apps", "v1", "replicasets", true, s_all, ["rs"], s_allCategory, s_scaleStatus),
        R("apps", "v1", "statefulsets", true, s_all, ["sts"], s_allCategory, s_scaleStatus),

        // events.k8s.io, authentication, authorization
        R("events.k8s.io", "v1", "events", true, s_all, ["ev"]),
        R("authentication.k8s.io", "v1", "selfsubjectreviews", false, s_createOnly),
        R("authentication.k8s.io", "v1", "tokenreviews", false, s_createOnly),
        R("authorization.k8s.io", "v1", "localsubjectaccessreviews", true, s_createOnly),
        R("authorization.k8s.io", "v1", "selfsubjectaccessreviews", false, s_createOnly),
        R("authorization.k8s.io", "v1", "selfsubjectrulesreviews", false, s_createOnly),
        R("authorization.k8s.io", "v1", "subjectaccessreviews", false, s_createOnly),

        // autoscaling: v2 first, so it is the preferred version (kubectl get all uses it)
        R("autoscaling", "v2", "horizontalpodautoscalers", true, s_all, ["hpa"], s_allCategory, s_status),
        R("autoscaling", "v1", "horizontalpodautoscalers", true, s_all, ["hpa"], s_allCategory, s_status),

        // batch/v1
        R("batch", "v1", "cronjobs", true, s_all, ["cj"], s_allCategory, s_status),
        R("batch", "v1", "jobs", true, s_all, [], s_allCategory, s_status),

        R("certificates.k8s.io", "v1", "certificatesigningrequests", false, s_all, ["csr"], subresources: ["approval", "status"]),

        // networking.k8s.io/v1
        R("networking.k8s.io", "v1", "ingressclasses", false, s_all),
        R("networking.k8s.io", "v1", "ingresses", true, s_all, ["ing"], subresources: s_status),
        R("networking.k8s.io", "v1", "networkpolicies", true, s_all, ["netpol"]),

        R("policy", "v1", "poddisruptionbudgets", true, s_all, ["pdb"], subresources: s_status),

        // rbac.authorization.k8s.io/v1
        R("rbac.authorization.k8s.io", "v1", "clusterrolebindings", false, s_all),
        R("rbac.authorization.k8s.io", "v1", "clusterroles", false, s_all),
        R("rbac.authorization.k8s.io", "v1", "rolebindings", true, s_all),
        R("rbac.authorization.k8s.io", "v1", "roles", true, s_all),

        // storage.k8s.io/v1
        R("storage.k8s.io", "v1", "csidrivers", false, s_all),
        R("storage.k8s.io", "v1", "csinodes", false, s_all),
        R("storage.k8s.io", "v1", "csistoragecapacities", true, s_all),
        R("storage.k8s.io", "v1", "storageclasses", false, s_all, ["sc"]),
        R("storage.k8s.io", "v1", "volumeattachments", false, s_all, subresources: s_status),

        // admissionregistration.k8s.io/v1
        R("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", false, s_all),
        R("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", false, s_all, subresources: s_status),
        R("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", false, s_all),
        R("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", false, s_all),

        R("apiextensions.k8s.io", "v1", "customresourcedefinitions", false, s_all, ["crd", "crds"], ["api-extensions"], s_status),
        R("scheduling.k8s.io", "v1", "priorityclasses", false, s_all, ["pc"]),
        R("coordination.k8s.io", "v1", "leases", true, s_all),
        R("node.k8s.io", "v1", "runtimeclasses", false, s_all),
        R("discovery.k8s.io", "v1", "endpointslices", true, s_all),
    ];

    private static UpstreamResource R(
        string group,
        string version,
        string plural,
        bool namespaced,
        string[] verbs,
        string[]? shortNames = null,
        string[]? categories = null,
        string[]? subresources = null) =>
        new(group, version, plural, namespaced, verbs, shortNames ?? s_none, categories ?? s_none, subresources ?? s_none);
}
