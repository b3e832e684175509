using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Plugins;

/// <summary>What the volume plugins read about claims, volumes and classes (the runner answers from its informers).</summary>
/// <param name="Claim">A PersistentVolumeClaim by namespace and name, or null.</param>
/// <param name="Volume">A PersistentVolume by name, or null.</param>
/// <param name="StorageClass">A StorageClass by name, or null.</param>
public sealed record VolumeLookups(
    Func<string, string, V1PersistentVolumeClaim?> Claim,
    Func<string, V1PersistentVolume?> Volume,
    Func<string, V1StorageClass?> StorageClass)
{
    /// <summary>No claims, volumes or classes exist (unit tests, schedulers without storage informers).</summary>
    public static VolumeLookups None { get; } = new((_, _) => null, _ => null, _ => null);
}

/// <summary>
/// The scheduling half of upstream's VolumeBinding plugin. PreFilter: every persistentVolumeClaim (and generic ephemeral
/// volume's claim) the pod mounts must exist and not be terminating, and an unbound claim must be one whose StorageClass
/// waits for the first consumer (volumeBindingMode WaitForFirstConsumer), since an Immediate one is the binder's to bind first.
/// Filter: a bound claim's PersistentVolume must allow the node (spec.nodeAffinity, e.g. a local volume); a waiting claim's
/// class must allow the node (allowedTopologies). Provisioning for the chosen node (the selected-node annotation) belongs
/// to the storage work, as does matching unbound claims to existing volumes.
/// </summary>
public sealed class VolumeBinding : IPreFilterPlugin, IFilterPlugin
{
    public const string PluginName = "VolumeBinding";

    public const string ErrReasonNodeConflict = "node(s) had volume node affinity conflict";
    public const string ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
    public const string ErrReasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";

    private const string StateKey = "PreFilter" + PluginName;

    private readonly VolumeLookups _lookups;

    public VolumeBinding(VolumeLookups? lookups = null) => _lookups = lookups ?? VolumeLookups.None;

    public string Name => PluginName;

    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        string ns = pod.Metadata?.NamespaceProperty ?? "default";
        var bound = new List<V1PersistentVolume>();
        var waiting = new List<V1StorageClass>();
        bool any = false;
        foreach (V1Volume volume in pod.Spec?.Volumes ?? [])
        {
            string? claimName = volume.PersistentVolumeClaim?.ClaimName;
            bool ephemeral = false;
            if (claimName is null && volume.Ephemeral is not null)
            {
                // A generic ephemeral volume's claim is named <pod>-<volume> and created by the ephemeral volume controller.
                claimName = $"{pod.Metadata?.Name}-{volume.Name}";
                ephemeral = true;
            }

            if (claimName is null)
            {
                continue;
            }

            any = true;
            V1PersistentVolumeClaim? claim = _lookups.Claim(ns, claimName);
            if (claim is null)
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, ephemeral
                    ? $"waiting for ephemeral volume controller to create the persistentvolumeclaim \"{claimName}\""
                    : $"persistentvolumeclaim \"{claimName}\" not found");
            }

            if (claim.Metadata?.DeletionTimestamp is not null)
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, $"persistentvolumeclaim \"{claimName}\" is being deleted");
            }

            if (!string.IsNullOrEmpty(claim.Spec?.VolumeName))
            {
                if (_lookups.Volume(claim.Spec.VolumeName) is { } pv)
                {
                    bound.Add(pv);
                }

                continue;
            }

            V1StorageClass? storageClass = claim.Spec?.StorageClassName is { Length: > 0 } className ? _lookups.StorageClass(className) : null;
            if (storageClass?.VolumeBindingMode != "WaitForFirstConsumer")
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonUnboundImmediate);
            }

            waiting.Add(storageClass);
        }

        if (!any)
        {
            return PluginStatus.Skip(PluginName);
        }

        state.Write(StateKey, new Claims(bound, waiting));
        return PluginStatus.Success;
    }

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(node);
        if (state.Read<Claims>(StateKey) is not { } claims)
        {
            return PluginStatus.Success;
        }

        foreach (V1PersistentVolume pv in claims.Bound)
        {
            V1NodeSelector? required = pv.Spec?.NodeAffinity?.Required;
            if (required is not null && !NodeSelectorMatcher.MatchesAnyTerm(required.NodeSelectorTerms, node.Node))
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonNodeConflict);
            }
        }

        foreach (V1StorageClass storageClass in claims.Waiting)
        {
            if (storageClass.AllowedTopologies is { Count: > 0 } topologies && !topologies.Any(t => AllowsNode(t, node.Node)))
            {
                return PluginStatus.UnschedulableAndUnresolvable(PluginName, ErrReasonBindConflict);
            }
        }

        return PluginStatus.Success;
    }

    // A topology term: every label requirement must hold (values ORed within one requirement).
    private static bool AllowsNode(V1TopologySelectorTerm term, V1Node node) =>
        (term.MatchLabelExpressions ?? []).All(e =>
            node.Metadata?.Labels is { } labels && labels.TryGetValue(e.Key, out string? value) && (e.Values ?? []).Contains(value));

    private sealed record Claims(List<V1PersistentVolume> Bound, List<V1StorageClass> Waiting);
}
