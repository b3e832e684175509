using k8s;
using k8s.Models;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's PodSecurity plugin (Pod Security Admission). The namespace's labels
/// <c>pod-security.kubernetes.io/{enforce,audit,warn}</c> choose a level (privileged, baseline, restricted) per mode: enforce
/// refuses a pod that violates its level; warn answers with a Warning; audit adds an audit annotation. Pods are checked on
/// create and on updates that change more than images; workload objects with a pod template (Deployments, Jobs, ...) are
/// only warned and audited, as upstream does, since their pods meet enforce when they are created. Every
/// <c>-version</c> label is evaluated as the latest policy (the version is only echoed in the messages). The namespace's
/// labels come from the watch cache, or the store when the cache does not have the namespace yet.
/// </summary>
internal sealed class PodSecurityAdmission(CacheOrStore reads) : IValidatingAdmissionPlugin
{
    private const string LabelPrefix = "pod-security.kubernetes.io/";

    private readonly ResourceInfo _namespaces = reads.Resource(string.Empty, "namespaces");

    private readonly ResourceInfo _pods = reads.Resource(string.Empty, "pods");

    public string Name => "PodSecurity";

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update) || attributes.Subresource is not null
            || attributes.Object is not { } item)
        {
            return;
        }

        if (item is V1Namespace ns)
        {
            if (attributes.OldObject is V1Namespace before)
            {
                await WarnAboutExistingPodsAsync(attributes, ns, before, cancellationToken);
            }

            return;
        }

        if (string.IsNullOrEmpty(attributes.Namespace))
        {
            return;
        }

        bool isPod = item is V1Pod;
        (V1ObjectMeta? metadata, V1PodSpec? spec) = Template(item);
        if (spec is null || (attributes.OldObject is { } old && !Changed(Template(old), (metadata, spec), isPod)))
        {
            return;
        }

        V1Namespace? space = await reads.GetAsync<V1Namespace>(_namespaces, null, attributes.Namespace, cancellationToken);
        IDictionary<string, string> labels = space?.Metadata?.Labels ?? new Dictionary<string, string>();
        if (isPod && Level(labels, "enforce") is { } enforce && Violations(enforce, metadata, spec) is { } refused)
        {
            throw StoredObjects.Forbidden(attributes, $"violates PodSecurity \"{enforce.Display}\": {refused}");
        }

        if (Level(labels, "warn") is { } warn && Violations(warn, metadata, spec) is { } warned)
        {
            attributes.Warnings.Add($"would violate PodSecurity \"{warn.Display}\": {warned}");
        }

        if (Level(labels, "audit") is { } audit && Violations(audit, metadata, spec) is { } audited)
        {
            attributes.AuditAnnotations[LabelPrefix + "audit-violations"] = $"would violate PodSecurity \"{audit.Display}\": {audited}";
        }
    }

    /// <summary>
    /// A namespace update that tightens its enforce label answers, as upstream's dry run does, with a warning naming every
    /// existing pod the new level would refuse and the checks it fails (pods are not touched).
    /// </summary>
    private async Task WarnAboutExistingPodsAsync(AdmissionAttributes attributes, V1Namespace ns, V1Namespace before, CancellationToken cancellationToken)
    {
        IDictionary<string, string> labels = ns.Metadata?.Labels ?? new Dictionary<string, string>();
        IDictionary<string, string> oldLabels = before.Metadata?.Labels ?? new Dictionary<string, string>();
        if (Level(labels, "enforce") is not { } enforce || Level(oldLabels, "enforce") == enforce)
        {
            return;
        }

        var warnings = new List<string>();
        string name = ns.Metadata?.Name ?? attributes.Name;
        foreach ((V1Pod pod, _) in await StoredObjects.ListAsync<V1Pod>(attributes.Context.Store, StorageKeys.ListPrefix(_pods, name), cancellationToken))
        {
            if (pod.Spec is not null && pod.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                List<(string Reason, string Detail)> found = PodSecurityChecks.Evaluate(enforce.Level, pod.Metadata, pod.Spec);
                if (found.Count > 0)
                {
                    warnings.Add($"{pod.Metadata?.Name}: {string.Join(", ", found.Select(f => f.Reason))}");
                }
            }
        }

        if (warnings.Count > 0)
        {
            attributes.Warnings.Add($"existing pods in namespace \"{name}\" violate the new PodSecurity enforce level \"{enforce.Display}\"");
            attributes.Warnings.AddRange(warnings);
        }
    }

    /// <summary>A mode's level and how messages name it (<c>restricted:latest</c>); null for privileged, unset or unknown levels.</summary>
    private static (string Level, string Display)? Level(IDictionary<string, string> labels, string mode)
    {
        if (!labels.TryGetValue(LabelPrefix + mode, out string? level) || level is not ("baseline" or "restricted"))
        {
            return null;
        }

        string version = labels.TryGetValue(LabelPrefix + mode + "-version", out string? v) && System.Text.RegularExpressions.Regex.IsMatch(v, @"^v1\.\d+$") ? v : "latest";
        return (level, $"{level}:{version}");
    }

    /// <summary>Upstream's aggregate: <c>reason (detail), reason (detail)</c>, or null when the pod meets the level.</summary>
    private static string? Violations((string Level, string Display) level, V1ObjectMeta? metadata, V1PodSpec spec)
    {
        List<(string Reason, string Detail)> found = PodSecurityChecks.Evaluate(level.Level, metadata, spec);
        return found.Count == 0 ? null : string.Join(", ", found.Select(f => f.Detail.Length == 0 ? f.Reason : $"{f.Reason} ({f.Detail})"));
    }

    /// <summary>The pod metadata and spec to check: the pod's own, or a workload's template.</summary>
    private static (V1ObjectMeta? Metadata, V1PodSpec? Spec) Template(IKubernetesObject<V1ObjectMeta> item) => item switch
    {
        V1Pod pod => (pod.Metadata, pod.Spec),
        V1Deployment d => (d.Spec?.Template?.Metadata, d.Spec?.Template?.Spec),
        V1ReplicaSet r => (r.Spec?.Template?.Metadata, r.Spec?.Template?.Spec),
        V1StatefulSet s => (s.Spec?.Template?.Metadata, s.Spec?.Template?.Spec),
        V1DaemonSet ds => (ds.Spec?.Template?.Metadata, ds.Spec?.Template?.Spec),
        V1Job j => (j.Spec?.Template?.Metadata, j.Spec?.Template?.Spec),
        V1CronJob c => (c.Spec?.JobTemplate?.Spec?.Template?.Metadata, c.Spec?.JobTemplate?.Spec?.Template?.Spec),
        V1ReplicationController rc => (rc.Spec?.Template?.Metadata, rc.Spec?.Template?.Spec),
        V1PodTemplate t => (t.Template?.Metadata, t.Template?.Spec),
        _ => (null, null),
    };

    /// <summary>
    /// Whether an update needs checking: a workload's template changed; for a pod, upstream's isSignificantPodUpdate: the
    /// number of containers or init containers, a container's image, or a container's seccomp annotation changed. Any other
    /// pod update (a toleration, activeDeadlineSeconds, scheduling gates, labels) passes unchecked.
    /// </summary>
    private static bool Changed((V1ObjectMeta? Metadata, V1PodSpec? Spec) before, (V1ObjectMeta? Metadata, V1PodSpec? Spec) after, bool isPod)
    {
        if (!isPod)
        {
            return !Same(before.Spec, after.Spec) || !Same(before.Metadata?.Annotations, after.Metadata?.Annotations);
        }

        if (before.Spec is null || after.Spec is null)
        {
            return true;
        }

        IList<V1Container> containers = after.Spec.Containers ?? [], oldContainers = before.Spec.Containers ?? [];
        IList<V1Container> inits = after.Spec.InitContainers ?? [], oldInits = before.Spec.InitContainers ?? [];
        return containers.Count != oldContainers.Count
            || inits.Count != oldInits.Count
            || containers.Zip(oldContainers).Concat(inits.Zip(oldInits)).Any(pair =>
                pair.First.Image != pair.Second.Image
                || Annotation(after.Metadata, "container.seccomp.security.alpha.kubernetes.io/" + pair.First.Name)
                    != Annotation(before.Metadata, "container.seccomp.security.alpha.kubernetes.io/" + pair.First.Name));
    }

    private static string? Annotation(V1ObjectMeta? metadata, string key) =>
        metadata?.Annotations is { } annotations && annotations.TryGetValue(key, out string? value) ? value : null;

    private static bool Same(object? a, object? b) =>
        System.Text.Json.Nodes.JsonNode.DeepEquals(
            a is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(a, Machinery.Json.SkiffJson.Options),
            b is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(b, Machinery.Json.SkiffJson.Options));
}
