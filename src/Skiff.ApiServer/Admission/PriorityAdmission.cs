using k8s.Models;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Store;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's Priority admission plugin. On pod create it resolves spec.priorityClassName (or the globalDefault class) into
/// spec.priority and spec.preemptionPolicy, refusing a pod that names a missing class or sets a different value itself. On
/// PriorityClass create and update it keeps globalDefault unique. A pod's class is read from the watch cache, or the store
/// when the cache does not have it (yet).
/// </summary>
internal sealed class PriorityAdmission(CacheOrStore reads) : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    /// <summary>What a pod gets when it names no class and no class is the globalDefault.</summary>
    private const int DefaultPriorityWhenNoDefaultClassExists = 0;

    private readonly ResourceInfo _classes = reads.Resource("scheduling.k8s.io", "priorityclasses");

    public string Name => "Priority";

    /// <summary>Pods on create (an update keeps what the pod has; the pod strategy sees to that).</summary>
    public Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes is { Operation: AdmissionOperation.Create, Subresource: null, Object: V1Pod pod } && IsCore(attributes, "pods")
            ? AdmitPodAsync(attributes, pod, cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>PriorityClasses on create and update.</summary>
    public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes is { Operation: AdmissionOperation.Create or AdmissionOperation.Update, Subresource: null, Object: V1PriorityClass item }
            ? ValidateClassAsync(attributes, item, cancellationToken)
            : Task.CompletedTask;
    }

    private static bool IsCore(AdmissionAttributes attributes, string plural) =>
        attributes.Resource.Group.Length == 0 && attributes.Resource.Plural == plural;

    /// <summary>Sets a new pod's priority fields from its class; throws 403 Forbidden as upstream does.</summary>
    private async Task AdmitPodAsync(AdmissionAttributes attributes, V1Pod pod, CancellationToken cancellationToken)
    {
        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        string className;
        int priority;
        string? preemptionPolicy;
        if (string.IsNullOrEmpty(spec.PriorityClassName))
        {
            V1PriorityClass? fallback = DefaultClass(await reads.ListAsync<V1PriorityClass>(_classes, null, cancellationToken));
            className = fallback?.Metadata?.Name ?? string.Empty;
            priority = fallback is null ? DefaultPriorityWhenNoDefaultClassExists : fallback.Value ?? 0;
            preemptionPolicy = fallback is null ? SystemPriorityClasses.PreemptLowerPriority : fallback.PreemptionPolicy;
        }
        else
        {
            V1PriorityClass found = await reads.GetAsync<V1PriorityClass>(_classes, null, spec.PriorityClassName, cancellationToken)
                ?? throw StoredObjects.Forbidden(attributes, $"no PriorityClass with name {spec.PriorityClassName} was found");
            className = spec.PriorityClassName;
            priority = found.Value ?? 0;
            preemptionPolicy = found.PreemptionPolicy;
        }

        spec.PriorityClassName = className.Length == 0 ? null : className;
        if (spec.Priority is int provided && provided != priority)
        {
            throw StoredObjects.Forbidden(attributes, $"the integer value of priority ({provided}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        spec.Priority = priority;
        if (preemptionPolicy is not null)
        {
            if (spec.PreemptionPolicy is { } asked && asked != preemptionPolicy)
            {
                throw StoredObjects.Forbidden(attributes, $"the string value of PreemptionPolicy ({asked}) must not be provided in pod spec; priority admission controller computed {preemptionPolicy} from the given PriorityClass name");
            }

            spec.PreemptionPolicy = preemptionPolicy;
        }
    }

    /// <summary>
    /// Refuses a class that would be a second globalDefault (on update, unless it is already the default one). Class writes
    /// are rare, so this reads the store: a default created by the previous request counts even if the cache lags.
    /// </summary>
    private async Task ValidateClassAsync(AdmissionAttributes attributes, V1PriorityClass item, CancellationToken cancellationToken)
    {
        bool isUpdate = attributes.Operation == AdmissionOperation.Update;
        if (item.GlobalDefault != true)
        {
            return;
        }

        List<(V1PriorityClass Item, KeyValue Stored)> stored = await StoredObjects.ListAsync<V1PriorityClass>(attributes.Context.Store, StorageKeys.ListPrefix(_classes, null), cancellationToken);
        V1PriorityClass? current = DefaultClass(stored.Select(s => s.Item));
        string? name = item.Metadata?.Name;
        if (current is not null && (!isUpdate || current.Metadata?.Name != name))
        {
            throw StoredObjects.Forbidden(attributes, $"PriorityClass {current.Metadata?.Name} is already marked as default. Only one default can exist");
        }
    }

    /// <summary>
    /// The globalDefault class; should a race have left several, the one with the lowest value (as upstream picks).
    /// </summary>
    private static V1PriorityClass? DefaultClass(IEnumerable<V1PriorityClass> classes) =>
        classes.Where(c => c.GlobalDefault == true).OrderBy(c => c.Value ?? 0).FirstOrDefault();
}
