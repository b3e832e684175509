using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Pods: defaults, a Pending status on create, upstream's update restrictions, and graceful deletion.</summary>
internal sealed class PodStrategy : ResourceStrategy
{
    private static readonly string[] s_qosResources = ["cpu", "memory"];

    public override bool ReturnsDeletedObject => true;

    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
        var pod = (V1Pod)item;
        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        PodDefaults.Apply(spec);
        spec.ServiceAccountName ??= spec.ServiceAccount ?? "default";
        spec.ServiceAccount ??= spec.ServiceAccountName;
        spec.Priority ??= 0;

        pod.Status = new V1PodStatus { Phase = "Pending", QosClass = QosClass(spec) };

        // As upstream's strategy: a gated pod says why it waits (kubectl get shows SchedulingGated); the scheduler leaves it alone.
        if (spec.SchedulingGates is { Count: > 0 })
        {
            pod.Status.Conditions =
            [
                new V1PodCondition
                {
                    Type = "PodScheduled",
                    Status = "False",
                    Reason = "SchedulingGated",
                    Message = "Scheduling is blocked due to non-empty scheduling gates",
                    LastTransitionTime = context.Now,
                },
            ];
        }
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        var pod = (V1Pod)item;
        PodDefaults.Apply(pod.Spec);

        // A replace that leaves out what Priority admission set keeps it (upstream's admission does this on update), so
        // kubectl replace of a manifest works; a different value still fails validation below.
        if (pod.Spec is not null && ((V1Pod)old).Spec is { } before)
        {
            pod.Spec.Priority ??= before.Priority;
            pod.Spec.PreemptionPolicy ??= before.PreemptionPolicy;
        }
    }

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        var pod = (V1Pod)item;
        PodDefaults.Validate(pod.Spec, "spec", errors);
        if (old is V1Pod previous && pod.Spec is not null && previous.Spec is not null)
        {
            // Upstream lets an update change only images, activeDeadlineSeconds, added tolerations and a first nodeName.
            V1PodSpec comparable = ObjectCodecClone(pod.Spec);
            V1PodSpec before = ObjectCodecClone(previous.Spec);
            foreach ((V1Container a, V1Container b) in (comparable.Containers ?? []).Zip(before.Containers ?? []))
            {
                a.Image = b.Image;
            }

            foreach ((V1Container a, V1Container b) in (comparable.InitContainers ?? []).Zip(before.InitContainers ?? []))
            {
                a.Image = b.Image;
            }

            comparable.ActiveDeadlineSeconds = before.ActiveDeadlineSeconds;

            // Scheduling gates may only be removed (upstream: "only deletion is allowed").
            HashSet<string> gatesBefore = [.. (before.SchedulingGates ?? []).Select(g => g.Name)];
            foreach (V1PodSchedulingGate gate in comparable.SchedulingGates ?? [])
            {
                if (!gatesBefore.Contains(gate.Name))
                {
                    errors.Forbidden("spec.schedulingGates", $"only deletion is allowed, but found new scheduling gate '{gate.Name}'");
                }
            }

            comparable.SchedulingGates = before.SchedulingGates;
            comparable.Tolerations = before.Tolerations;
            if (string.IsNullOrEmpty(before.NodeName))
            {
                comparable.NodeName = before.NodeName;
            }

            if (!System.Text.Json.Nodes.JsonNode.DeepEquals(ObjectCodec.Encode(comparable), ObjectCodec.Encode(before)))
            {
                errors.Forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
            }
        }
    }

    public override long GracePeriodSeconds(IKubernetesObject<V1ObjectMeta> item, V1DeleteOptions? options)
    {
        var pod = (V1Pod)item;

        // An unscheduled or finished pod has no kubelet to wait for: it goes at once.
        if (string.IsNullOrEmpty(pod.Spec?.NodeName) || pod.Status?.Phase is "Succeeded" or "Failed")
        {
            return 0;
        }

        long grace = options?.GracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30;
        return Math.Max(0, grace);
    }

    /// <summary>Guaranteed when every container has equal requests and limits for cpu and memory; BestEffort with none.</summary>
    public static string QosClass(V1PodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var containers = (spec.Containers ?? []).Concat(spec.InitContainers ?? []).ToList();
        bool any = containers.Any(c => (c.Resources?.Requests?.Count ?? 0) > 0 || (c.Resources?.Limits?.Count ?? 0) > 0);
        if (!any)
        {
            return "BestEffort";
        }

        bool guaranteed = containers.All(c =>
            s_qosResources.All(r =>
                c.Resources?.Limits?.TryGetValue(r, out ResourceQuantity? limit) == true
                && c.Resources.Requests?.TryGetValue(r, out ResourceQuantity? request) == true
                && limit.ToDecimal() == request.ToDecimal()));
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    private static V1PodSpec ObjectCodecClone(V1PodSpec spec) =>
        System.Text.Json.JsonSerializer.Deserialize<V1PodSpec>(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(spec, Machinery.Json.SkiffJson.Options), Machinery.Json.SkiffJson.Options)!;
}
