using System.Collections.Frozen;
using k8s.Models;

namespace Skiff.ApiServer.Patching;

/// <summary>
/// The strategic-merge metadata of the built-in types, keyed by the <c>k8s.Models</c> type that declares the field and
/// the field's JSON name. These are upstream facts (the <c>patchStrategy</c>/<c>patchMergeKey</c> struct tags in
/// kubernetes/api */v1/types.go and apimachinery meta/v1 types.go); a field absent here is a plain field: maps merge,
/// lists are replaced.
/// </summary>
public static class PatchMetadata
{
    // EphemeralContainerCommon's tags land on V1EphemeralContainer because the C# models flatten the embedded struct.
    private static readonly FrozenDictionary<(Type Type, string Field), PatchFieldMetadata> s_fields = new Dictionary<(Type Type, string Field), PatchFieldMetadata>
    {
        // apimachinery pkg/apis/meta/v1
        [(typeof(V1ObjectMeta), "ownerReferences")] = new("merge", "uid"),
        [(typeof(V1ObjectMeta), "finalizers")] = new("merge", null),
        // core/v1
        [(typeof(V1VolumeHealthStatus), "healthConditions")] = new("merge", "status"),
        [(typeof(V1PodVolumeHealth), "healthConditions")] = new("merge", "status"),
        [(typeof(V1PersistentVolumeClaimStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1Container), "ports")] = new("merge", "containerPort"),
        [(typeof(V1Container), "env")] = new("merge", "name"),
        [(typeof(V1Container), "volumeMounts")] = new("merge", "mountPath"),
        [(typeof(V1Container), "volumeDevices")] = new("merge", "devicePath"),
        [(typeof(V1ContainerStatus), "volumeMounts")] = new("merge", "mountPath"),
        [(typeof(V1ContainerStatus), "allocatedResourcesStatus")] = new("merge", "name"),
        [(typeof(V1PodSpec), "volumes")] = new("merge,retainKeys", "name"),
        [(typeof(V1PodSpec), "initContainers")] = new("merge", "name"),
        [(typeof(V1PodSpec), "containers")] = new("merge", "name"),
        [(typeof(V1PodSpec), "ephemeralContainers")] = new("merge", "name"),
        [(typeof(V1PodSpec), "imagePullSecrets")] = new("merge", "name"),
        [(typeof(V1PodSpec), "hostAliases")] = new("merge", "ip"),
        [(typeof(V1PodSpec), "topologySpreadConstraints")] = new("merge", "topologyKey"),
        [(typeof(V1PodSpec), "schedulingGates")] = new("merge", "name"),
        [(typeof(V1PodSpec), "resourceClaims")] = new("merge,retainKeys", "name"),
        [(typeof(V1PodSpec), "evictionResponders")] = new("merge", "name"),
        [(typeof(V1EphemeralContainer), "ports")] = new("merge", "containerPort"),
        [(typeof(V1EphemeralContainer), "env")] = new("merge", "name"),
        [(typeof(V1EphemeralContainer), "volumeMounts")] = new("merge", "mountPath"),
        [(typeof(V1EphemeralContainer), "volumeDevices")] = new("merge", "devicePath"),
        [(typeof(V1PodStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1PodStatus), "hostIPs")] = new("merge", "ip"),
        [(typeof(V1PodStatus), "podIPs")] = new("merge", "ip"),
        [(typeof(V1PodStatus), "resourceClaimStatuses")] = new("merge,retainKeys", "name"),
        [(typeof(V1PodStatus), "nodeAllocatableResourceClaimStatuses")] = new("merge", "resourceClaimName"),
        [(typeof(V1ReplicationControllerStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1ServiceStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1ServiceSpec), "ports")] = new("merge", "port"),
        [(typeof(V1ServiceAccount), "secrets")] = new("merge", "name"),
        [(typeof(V1NodeSpec), "podCIDRs")] = new("merge", null),
        [(typeof(V1NodeStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1NodeStatus), "addresses")] = new("merge", "type"),
        [(typeof(V1NamespaceStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1ComponentStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1NodeAllocatableResourceClaimStatus), "mapping")] = new("merge", "name"),
        [(typeof(V1NodeAllocatableResourceClaimStatus), "overhead")] = new("merge", "name"),
        // apps/v1
        [(typeof(V1StatefulSetStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1DeploymentSpec), "strategy")] = new("retainKeys", null),
        [(typeof(V1DeploymentStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1DaemonSetStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1ReplicaSetStatus), "conditions")] = new("merge", "type"),
        // batch/v1
        [(typeof(V1JobSchedulingConfiguration), "resourceClaims")] = new("merge", "name"),
        [(typeof(V1JobStatus), "conditions")] = new("merge", "type"),
        // autoscaling/v2
        [(typeof(V2HorizontalPodAutoscalerStatus), "conditions")] = new("merge", "type"),
        // policy/v1
        [(typeof(V1PodDisruptionBudgetSpec), "selector")] = new("replace", null),
        [(typeof(V1PodDisruptionBudgetStatus), "conditions")] = new("merge", "type"),
        // networking/v1
        [(typeof(V1ServiceCIDRStatus), "conditions")] = new("merge", "type"),
        // storage/v1
        [(typeof(V1CSINodeSpec), "drivers")] = new("merge", "name"),
        [(typeof(V1CSINodeStatus), "storageHealth")] = new("merge", "name"),
        // resource/v1
        [(typeof(V1DeviceTaintRuleStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1ResourceClaimStatus), "reservedFor")] = new("merge", "uid"),
        // admissionregistration/v1
        [(typeof(V1ValidatingAdmissionPolicySpec), "matchConditions")] = new("merge", "name"),
        [(typeof(V1ValidatingAdmissionPolicySpec), "variables")] = new("merge", "name"),
        [(typeof(V1ValidatingWebhookConfiguration), "webhooks")] = new("merge", "name"),
        [(typeof(V1MutatingWebhookConfiguration), "webhooks")] = new("merge", "name"),
        [(typeof(V1ValidatingWebhook), "matchConditions")] = new("merge", "name"),
        [(typeof(V1MutatingWebhook), "matchConditions")] = new("merge", "name"),
        [(typeof(V1MutatingAdmissionPolicySpec), "matchConditions")] = new("merge", "name"),
        // certificates/v1
        [(typeof(V1PodCertificateRequestStatus), "conditions")] = new("merge", "type"),
        // flowcontrol/v1
        [(typeof(V1FlowSchemaStatus), "conditions")] = new("merge", "type"),
        [(typeof(V1PriorityLevelConfigurationStatus), "conditions")] = new("merge", "type"),
        // storagemigration/v1
        [(typeof(V1StorageVersionMigrationStatus), "conditions")] = new("merge", "type"),
    }.ToFrozenDictionary();

    /// <summary>Every field with patch metadata, for generators (OpenAPI) that publish the whole table.</summary>
    public static IReadOnlyDictionary<(Type Type, string Field), PatchFieldMetadata> All => s_fields;

    /// <summary>The metadata of <paramref name="jsonField"/> declared on <paramref name="declaringModelType"/>, or null when the field has none.</summary>
    public static PatchFieldMetadata? For(Type declaringModelType, string jsonField)
    {
        ArgumentNullException.ThrowIfNull(declaringModelType);
        ArgumentNullException.ThrowIfNull(jsonField);
        return s_fields.GetValueOrDefault((declaringModelType, jsonField));
    }
}
