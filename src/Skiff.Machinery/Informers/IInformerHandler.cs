namespace Skiff.Machinery.Informers;

/// <summary>
/// Receives an informer's notifications, one at a time and in the order the informer saw the changes. The objects are the
/// cached instances, shared by every handler and every reader: clone before mutating (KubernetesClient models are records
/// with mutable collections, so a shallow copy is not enough). Handlers should only enqueue keys; slow work here delays
/// every other handler of the informer.
/// </summary>
public interface IInformerHandler<in T>
{
    void OnAdd(T obj);

    /// <summary>A change, or a periodic resync (then <paramref name="oldObj"/> and <paramref name="newObj"/> are the same).</summary>
    void OnUpdate(T oldObj, T newObj);

    /// <summary>The object's last known state; after a missed delete (found on relist) that is the cached state.</summary>
    void OnDelete(T obj);
}
