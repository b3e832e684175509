using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
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
    /// Owned objects whose labels the owner's selector no longer matches. Upstream releases them (drops its controller
    /// reference), so the owner replaces them and they live on as orphans; nothing is released while the owner is deleted.
    /// </summary>
    public static List<T> ToRelease<T>(V1ObjectMeta owner, V1LabelSelector? selector, IEnumerable<T> owned)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        LabelSelector matcher = LabelSelector.FromModel(selector);
        return owner.DeletionTimestamp is not null || matcher.IsEmpty
            ? []
            : [.. owned.Where(o => !matcher.Matches(o.Metadata?.Labels as IReadOnlyDictionary<string, string>))];
    }

    /// <summary>The strategic merge patch that removes the owner's reference (merge key uid), guarded by the object's uid.</summary>
    public static V1Patch ReleasePatch(V1ObjectMeta owned, string ownerUid)
    {
        ArgumentNullException.ThrowIfNull(owned);
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = new JsonArray(new JsonObject { ["$patch"] = "delete", ["uid"] = ownerUid }),
                ["uid"] = owned.Uid,
            },
        };
        return new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch);
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

    /// <summary>Releases owned pods the selector no longer matches and removes them from <paramref name="owned"/>.</summary>
    public static async Task ReleasePodsAsync(IKubernetes client, V1ObjectMeta owner, V1LabelSelector? selector, List<V1Pod> owned, CancellationToken cancellationToken)
    {
        foreach (V1Pod pod in ToRelease(owner, selector, owned))
        {
            owned.Remove(pod);
            try
            {
                await client.CoreV1.PatchNamespacedPodAsync(ReleasePatch(pod.Metadata, owner.Uid), pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                // Gone or changed since the cache saw it.
            }
        }
    }
}
