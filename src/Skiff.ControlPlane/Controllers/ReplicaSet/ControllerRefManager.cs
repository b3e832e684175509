using System.Text;
using k8s;
using k8s.Models;
using Skiff.Machinery.Json;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.ReplicaSet;

/// <summary>
/// Who owns what (upstream's ControllerRefManager), shared by every controller that owns pods or revisions: an object is the
/// owner's when its controller reference carries the owner's uid; an orphan (no controller reference, not being deleted)
/// that the owner's selector matches is claimed by adoption. Objects controlled by someone else are never touched.
/// </summary>
internal static class ControllerRefManager
{
    public static (List<T> Owned, List<T> Orphans) Claim<T>(V1ObjectMeta owner, V1LabelSelector? selector, IEnumerable<T> objects)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        LabelSelector matcher = LabelSelector.FromModel(selector);
        var owned = new List<T>();
        var orphans = new List<T>();
        foreach (T obj in objects)
        {
            V1OwnerReference? controller = PodControl.ControllerOf(obj.Metadata);
            if (controller is not null)
            {
                if (controller.Uid == owner.Uid)
                {
                    owned.Add(obj);
                }
            }
            else if (!matcher.IsEmpty && matcher.Matches(obj.Metadata?.Labels as IReadOnlyDictionary<string, string>)
                && obj.Metadata?.DeletionTimestamp is null && owner.DeletionTimestamp is null)
            {
                orphans.Add(obj);
            }
        }

        return (owned, orphans);
    }

    /// <summary>
    /// The merge patch that adopts <paramref name="orphan"/>: its owner references plus the controller reference, guarded by
    /// its uid so an object deleted and recreated under the same name is not adopted by mistake.
    /// </summary>
    public static V1Patch AdoptionPatch(V1ObjectMeta orphan, V1OwnerReference controller)
    {
        ArgumentNullException.ThrowIfNull(orphan);
        var references = new List<V1OwnerReference>(orphan.OwnerReferences ?? []) { controller };
        var patch = new V1Pod { Metadata = new V1ObjectMeta { Uid = orphan.Uid, OwnerReferences = references } };
        return new V1Patch(Encoding.UTF8.GetString(SkiffJson.ToBytes(patch)), V1Patch.PatchType.MergePatch);
    }
}
