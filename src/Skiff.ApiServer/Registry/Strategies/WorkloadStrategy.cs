using k8s;
using k8s.Models;
using Skiff.Machinery.Selectors;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// Workloads with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController,
/// PodTemplate): the kind's own defaults, the pod defaults inside the template, and upstream's selector rules.
/// </summary>
internal sealed class WorkloadStrategy(
    Action<IKubernetesObject<V1ObjectMeta>> defaults,
    Func<IKubernetesObject<V1ObjectMeta>, (V1LabelSelector? Selector, V1PodTemplateSpec? Template, string Path)> parts,
    bool selectorRequired) : ResourceStrategy
{
    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
        defaults(item);
        PodDefaults.Apply(parts(item).Template?.Spec);
        ClearStatus(item);
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        defaults(item);
        PodDefaults.Apply(parts(item).Template?.Spec);
    }

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        (V1LabelSelector? selector, V1PodTemplateSpec? template, string path) = parts(item);
        if (template is null)
        {
            errors.Required($"{path}.template");
            return;
        }

        PodDefaults.Validate(template.Spec, $"{path}.template.spec", errors);
        if (!selectorRequired)
        {
            return;
        }

        if (selector is null || ((selector.MatchLabels?.Count ?? 0) == 0 && (selector.MatchExpressions?.Count ?? 0) == 0))
        {
            errors.Required($"{path}.selector");
            return;
        }

        IDictionary<string, string> labels = template.Metadata?.Labels ?? new Dictionary<string, string>();
        if (!LabelSelector.FromModel(selector).Matches(labels.AsReadOnly()))
        {
            errors.Invalid($"{path}.template.metadata.labels", "map[string]string{" + string.Join(", ", labels.Select(l => $"\"{l.Key}\":\"{l.Value}\"")) + "}", "`selector` does not match template `labels`");
        }

        if (old is not null && parts(old).Selector is { } before && !System.Text.Json.Nodes.JsonNode.DeepEquals(ObjectCodec.Encode(before), ObjectCodec.Encode(selector)))
        {
            errors.Invalid($"{path}.selector", "v1.LabelSelector{...}", "field is immutable");
        }
    }

    private static void ClearStatus(IKubernetesObject<V1ObjectMeta> item)
    {
        switch (item)
        {
            case V1Deployment d:
                d.Status = null;
                break;
            case V1ReplicaSet r:
                r.Status = null;
                break;
            case V1StatefulSet s:
                s.Status = null;
                break;
            case V1DaemonSet ds:
                ds.Status = null;
                break;
            case V1Job j:
                j.Status = null;
                break;
            case V1CronJob c:
                c.Status = null;
                break;
            case V1ReplicationController rc:
                rc.Status = null;
                break;
        }
    }
}
