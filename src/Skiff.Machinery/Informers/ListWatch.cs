using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary>
/// The two calls an informer makes: a full list, and a watch from a resourceVersion. A seam, so tests feed an informer
/// without a server and <see cref="KubernetesListWatch"/> adapts the generated client.
/// </summary>
public sealed class ListWatch<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public ListWatch(
        Func<CancellationToken, Task<InformerList<T>>> list,
        Func<WatchRequest, CancellationToken, IAsyncEnumerable<InformerWatchEvent<T>>> watch)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(watch);
        List = list;
        Watch = watch;
    }

    public Func<CancellationToken, Task<InformerList<T>>> List { get; }

    public Func<WatchRequest, CancellationToken, IAsyncEnumerable<InformerWatchEvent<T>>> Watch { get; }
}
