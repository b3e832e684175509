using System.Runtime.CompilerServices;
using k8s.Models;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's LimitRanger plugin, for pods and claims on create (containers cannot change afterwards). Mutating: every
/// container and init container gets the Container-type defaults (default → limits, defaultRequest → requests) of each
/// LimitRange in the namespace that it does not state itself, and the pod is annotated with what was set. Validating: the
/// Container, Pod and PersistentVolumeClaim min, max and maxLimitRequestRatio must hold, or the create is refused with every
/// violation listed in upstream's words. The namespace's LimitRanges are read once per request (the watch cache, or the store
/// when the cache has none, as upstream's live lookup) and kept for the validating pass.
/// </summary>
internal sealed class LimitRangerAdmission(CacheOrStore reads) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    public const string Annotation = "kubernetes.io/limit-ranger";

    private readonly ResourceInfo _limitRanges = reads.Resource(string.Empty, "limitranges");

    // The ranges the mutating pass read, for the same request's validating pass; dropped with the request.
    private readonly ConditionalWeakTable<AdmissionAttributes, List<V1LimitRange>> _read = [];

    public string Name => "LimitRanger";

    public async Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes is not { Operation: AdmissionOperation.Create, Subresource: null, Object: V1Pod pod })
        {
            return;
        }

        List<V1LimitRange> ranges = await RangesAsync(attributes, cancellationToken);
        if (ranges.Count == 0)
        {
            return;
        }

        // Upstream's decoder has already made a limit without a request the request when LimitRanger runs; Skiff's pod
        // defaults run after admission, so the same rule is applied here first, or defaultRequest would win over the limit.
        foreach (V1Container container in Containers(pod))
        {
            foreach ((string name, ResourceQuantity limit) in container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>())
            {
                container.Resources!.Requests ??= new Dictionary<string, ResourceQuantity>();
                container.Resources.Requests.TryAdd(name, limit);
            }
        }

        foreach (V1LimitRange range in ranges)
        {
            var defaults = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity>(), Requests = new Dictionary<string, ResourceQuantity>() };
            foreach (V1LimitRangeItem item in (range.Spec?.Limits ?? []).Where(l => l?.Type == "Container"))
            {
                foreach ((string name, ResourceQuantity value) in item.DefaultRequest ?? new Dictionary<string, ResourceQuantity>())
                {
                    defaults.Requests[name] = value;
                }

                foreach ((string name, ResourceQuantity value) in item.DefaultProperty ?? new Dictionary<string, ResourceQuantity>())
                {
                    defaults.Limits[name] = value;
                }
            }

            Merge(pod, defaults);
        }
    }

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes is not { Operation: AdmissionOperation.Create, Subresource: null, Object: V1Pod or V1PersistentVolumeClaim })
        {
            return;
        }

        var errors = new List<string>();
        foreach (V1LimitRange range in await RangesAsync(attributes, cancellationToken))
        {
            errors.AddRange(attributes.Object switch
            {
                V1Pod pod => LimitRangeChecks.Pod(range, pod),
                V1PersistentVolumeClaim claim => LimitRangeChecks.Claim(range, claim),
                _ => [],
            });
        }

        // Upstream's error aggregate: duplicates once, one message as it is, several in brackets.
        List<string> distinct = [.. errors.Distinct(StringComparer.Ordinal)];
        if (distinct.Count > 0)
        {
            throw StoredObjects.Forbidden(attributes, distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]");
        }
    }

    private async Task<List<V1LimitRange>> RangesAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        if (_read.TryGetValue(attributes, out List<V1LimitRange>? ranges))
        {
            return ranges;
        }

        ranges = await reads.ListAsync<V1LimitRange>(_limitRanges, attributes.Namespace, cancellationToken);
        _read.AddOrUpdate(attributes, ranges);
        return ranges;
    }

    private static IEnumerable<V1Container> Containers(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).Where(c => c is not null);

    /// <summary>Upstream's mergePodResourceRequirements: fills what each container lacks and records it in the annotation.</summary>
    private static void Merge(V1Pod pod, V1ResourceRequirements defaults)
    {
        var notes = new List<string>();
        foreach (V1Container container in pod.Spec?.Containers ?? [])
        {
            Merge(container, defaults, "container", notes);
        }

        foreach (V1Container container in pod.Spec?.InitContainers ?? [])
        {
            Merge(container, defaults, "init container", notes);
        }

        if (notes.Count > 0)
        {
            pod.Metadata.Annotations ??= new Dictionary<string, string>();
            pod.Metadata.Annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
        }
    }

    private static void Merge(V1Container container, V1ResourceRequirements defaults, string kind, List<string> notes)
    {
        V1ResourceRequirements resources = container.Resources ??= new V1ResourceRequirements();
        resources.Limits ??= new Dictionary<string, ResourceQuantity>();
        resources.Requests ??= new Dictionary<string, ResourceQuantity>();
        List<string> setLimits = [.. defaults.Limits.Where(d => resources.Limits.TryAdd(d.Key, d.Value)).Select(d => d.Key).Order(StringComparer.Ordinal)];
        List<string> setRequests = [.. defaults.Requests.Where(d => resources.Requests.TryAdd(d.Key, d.Value)).Select(d => d.Key).Order(StringComparer.Ordinal)];
        if (setRequests.Count > 0)
        {
            notes.Add($"{string.Join(", ", setRequests)} request for {kind} {container.Name}");
        }

        if (setLimits.Count > 0)
        {
            notes.Add($"{string.Join(", ", setLimits)} limit for {kind} {container.Name}");
        }

        // An empty map would be stored as {}; upstream's omitempty drops it.
        if (resources.Limits.Count == 0)
        {
            resources.Limits = null;
        }

        if (resources.Requests.Count == 0)
        {
            resources.Requests = null;
        }
    }
}
