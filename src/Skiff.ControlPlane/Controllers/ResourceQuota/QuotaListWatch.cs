using k8s;
using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.ResourceQuota;

/// <summary>List-watches for the kinds only quota counts, which the shared factory has no named informer for.</summary>
internal static class QuotaListWatch
{
    public static SharedInformer<V1ConfigMap> ConfigMaps(SharedInformerFactory informers) => informers.GetOrCreate(
        client => KubernetesListWatch.Create<V1ConfigMap, V1ConfigMapList>(
            ct => client.CoreV1.ListConfigMapForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListConfigMapForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct)),
        CacheIndexers.Default<V1ConfigMap>());

    public static SharedInformer<V1Secret> Secrets(SharedInformerFactory informers) => informers.GetOrCreate(
        client => KubernetesListWatch.Create<V1Secret, V1SecretList>(
            ct => client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListSecretForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct)),
        CacheIndexers.Default<V1Secret>());

    public static SharedInformer<V1ReplicationController> ReplicationControllers(SharedInformerFactory informers) => informers.GetOrCreate(
        client => KubernetesListWatch.Create<V1ReplicationController, V1ReplicationControllerList>(
            ct => client.CoreV1.ListReplicationControllerForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListReplicationControllerForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct)),
        CacheIndexers.Default<V1ReplicationController>());
}
