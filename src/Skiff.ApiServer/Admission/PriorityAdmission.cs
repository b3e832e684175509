using System.Text.Json;
using k8s.Models;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Store;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's Priority admission plugin. On pod create it resolves spec.priorityClassName (or the globalDefault class) into
/// spec.priority and spec.preemptionPolicy, refusing a pod that names a missing class or sets a different value itself. On
/// PriorityClass create and update it keeps globalDefault unique. Classes are read from the store, which holds few of them.
/// </summary>
internal sealed class PriorityAdmission : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    // Where the generic registry keeps scheduling.k8s.io/v1 priorityclasses (StorageKeys' layout).
    private const string ClassPrefix = "/scheduling.k8s.io/priorityclasses/";

    /// <summary>What a pod gets when it names no class and no class is the globalDefault.</summary>
    private const int DefaultPriorityWhenNoDefaultClassExists = 0;

    public string Name => "Priority";

    /// <summary>Pods on create (an update keeps what the pod has; the pod strategy sees to that).</summary>
    public Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes is { Operation: AdmissionOperation.Create, Subresource: null, Object: V1Pod pod } && IsCore(attributes, "pods")
            ? AdmitPodAsync(pod, attributes.Context.Store, cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>PriorityClasses on create and update.</summary>
    public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes is { Operation: AdmissionOperation.Create or AdmissionOperation.Update, Subresource: null, Object: V1PriorityClass item }
            ? ValidateClassAsync(item, attributes.Operation == AdmissionOperation.Update, attributes.Context.Store, cancellationToken)
            : Task.CompletedTask;
    }

    private static bool IsCore(AdmissionAttributes attributes, string plural) =>
        attributes.Resource.Group.Length == 0 && attributes.Resource.Plural == plural;

    /// <summary>Sets a new pod's priority fields from its class; throws 403 Forbidden as upstream does.</summary>
    public static async Task AdmitPodAsync(V1Pod pod, IRevisionedStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(store);
        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        string className;
        int priority;
        string? preemptionPolicy;
        if (string.IsNullOrEmpty(spec.PriorityClassName))
        {
            V1PriorityClass? fallback = DefaultClass(await ListAsync(store, cancellationToken));
            className = fallback?.Metadata?.Name ?? string.Empty;
            priority = fallback is null ? DefaultPriorityWhenNoDefaultClassExists : fallback.Value ?? 0;
            preemptionPolicy = fallback is null ? SystemPriorityClasses.PreemptLowerPriority : fallback.PreemptionPolicy;
        }
        else
        {
            V1PriorityClass found = await GetAsync(store, spec.PriorityClassName, cancellationToken)
                ?? throw PodForbidden(pod, $"no PriorityClass with name {spec.PriorityClassName} was found");
            className = spec.PriorityClassName;
            priority = found.Value ?? 0;
            preemptionPolicy = found.PreemptionPolicy;
        }

        spec.PriorityClassName = className.Length == 0 ? null : className;
        if (spec.Priority is int provided && provided != priority)
        {
            throw PodForbidden(pod, $"the integer value of priority ({provided}) must not be provided in pod spec; priority admission controller computed {priority} from the given PriorityClass name");
        }

        spec.Priority = priority;
        if (preemptionPolicy is not null)
        {
            if (spec.PreemptionPolicy is { } asked && asked != preemptionPolicy)
            {
                throw PodForbidden(pod, $"the string value of PreemptionPolicy ({asked}) must not be provided in pod spec; priority admission controller computed {preemptionPolicy} from the given PriorityClass name");
            }

            spec.PreemptionPolicy = preemptionPolicy;
        }
    }

    /// <summary>
    /// Refuses a class that would be a second globalDefault (on update, unless it is already the default one).
    /// </summary>
    public static async Task ValidateClassAsync(V1PriorityClass item, bool isUpdate, IRevisionedStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(store);
        if (item.GlobalDefault != true)
        {
            return;
        }

        V1PriorityClass? current = DefaultClass(await ListAsync(store, cancellationToken));
        string? name = item.Metadata?.Name;
        if (current is not null && (!isUpdate || current.Metadata?.Name != name))
        {
            throw new StatusException(
                403,
                "Forbidden",
                $"priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: PriorityClass {current.Metadata?.Name} is already marked as default. Only one default can exist",
                new V1StatusDetails { Name = name, Group = "scheduling.k8s.io", Kind = "priorityclasses" });
        }
    }

    /// <summary>
    /// The globalDefault class; should a race have left several, the one with the lowest value (as upstream picks).
    /// </summary>
    private static V1PriorityClass? DefaultClass(IEnumerable<V1PriorityClass> classes) =>
        classes.Where(c => c.GlobalDefault == true).OrderBy(c => c.Value ?? 0).FirstOrDefault();

    private static async Task<V1PriorityClass?> GetAsync(IRevisionedStore store, string name, CancellationToken cancellationToken)
    {
        KeyValue? stored = await store.GetAsync(ClassPrefix + name, 0, cancellationToken);
        return stored is null ? null : Read(stored);
    }

    private static async Task<List<V1PriorityClass>> ListAsync(IRevisionedStore store, CancellationToken cancellationToken)
    {
        var classes = new List<V1PriorityClass>();
        string? after = null;
        while (true)
        {
            ListResult page = await store.ListAsync(ClassPrefix, new ListOptions(StartAfter: after), cancellationToken);
            classes.AddRange(page.Items.Select(Read));
            if (!page.More || page.Items.Count == 0)
            {
                return classes;
            }

            after = page.Items[^1].Key;
        }
    }

    private static V1PriorityClass Read(KeyValue stored) =>
        JsonSerializer.Deserialize<V1PriorityClass>(stored.Value.Span, SkiffJson.Options)
            ?? throw ApiErrors.Internal($"stored PriorityClass {stored.Key} is not an object");

    private static StatusException PodForbidden(V1Pod pod, string why)
    {
        string name = pod.Metadata?.Name ?? "Unknown";
        return new StatusException(403, "Forbidden", $"pods \"{name}\" is forbidden: {why}", new V1StatusDetails { Name = name, Kind = "pods" });
    }
}
