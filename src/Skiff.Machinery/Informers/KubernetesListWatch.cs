using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using k8s;
using k8s.Models;

namespace Skiff.Machinery.Informers;

/// <summary><see cref="ListWatch{T}"/>s over the generated <see cref="IKubernetes"/> client, across all namespaces.</summary>
public static class KubernetesListWatch
{
    public static ListWatch<V1Pod> Pods(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Pod, V1PodList>(
            ct => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1ReplicaSet> ReplicaSets(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1ReplicaSet, V1ReplicaSetList>(
            ct => client.AppsV1.ListReplicaSetForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.AppsV1.WatchListReplicaSetForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Deployment> Deployments(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Deployment, V1DeploymentList>(
            ct => client.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.AppsV1.WatchListDeploymentForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Namespace> Namespaces(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Namespace, V1NamespaceList>(
            ct => client.CoreV1.ListNamespaceAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListNamespaceAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Node> Nodes(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Node, V1NodeList>(
            ct => client.CoreV1.ListNodeAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListNodeAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1StatefulSet> StatefulSets(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1StatefulSet, V1StatefulSetList>(
            ct => client.AppsV1.ListStatefulSetForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.AppsV1.WatchListStatefulSetForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1DaemonSet> DaemonSets(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1DaemonSet, V1DaemonSetList>(
            ct => client.AppsV1.ListDaemonSetForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.AppsV1.WatchListDaemonSetForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1ControllerRevision> ControllerRevisions(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1ControllerRevision, V1ControllerRevisionList>(
            ct => client.AppsV1.ListControllerRevisionForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.AppsV1.WatchListControllerRevisionForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Job> Jobs(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Job, V1JobList>(
            ct => client.BatchV1.ListJobForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.BatchV1.WatchListJobForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1CronJob> CronJobs(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1CronJob, V1CronJobList>(
            ct => client.BatchV1.ListCronJobForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.BatchV1.WatchListCronJobForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Service> Services(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Service, V1ServiceList>(
            ct => client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListServiceForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Endpoints> Endpoints(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Endpoints, V1EndpointsList>(
            ct => client.CoreV1.ListEndpointsForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListEndpointsForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1EndpointSlice> EndpointSlices(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1EndpointSlice, V1EndpointSliceList>(
            ct => client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.DiscoveryV1.WatchListEndpointSliceForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1Lease> Leases(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1Lease, V1LeaseList>(
            ct => client.CoordinationV1.ListLeaseForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoordinationV1.WatchListLeaseForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1PodDisruptionBudget> PodDisruptionBudgets(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1PodDisruptionBudget, V1PodDisruptionBudgetList>(
            ct => client.PolicyV1.ListPodDisruptionBudgetForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.PolicyV1.WatchListPodDisruptionBudgetForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1ResourceQuota> ResourceQuotas(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1ResourceQuota, V1ResourceQuotaList>(
            ct => client.CoreV1.ListResourceQuotaForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListResourceQuotaForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1PersistentVolumeClaim> PersistentVolumeClaims(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1PersistentVolumeClaim, V1PersistentVolumeClaimList>(
            ct => client.CoreV1.ListPersistentVolumeClaimForAllNamespacesAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListPersistentVolumeClaimForAllNamespacesAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1PersistentVolume> PersistentVolumes(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1PersistentVolume, V1PersistentVolumeList>(
            ct => client.CoreV1.ListPersistentVolumeAsync(cancellationToken: ct),
            (r, onError, ct) => client.CoreV1.WatchListPersistentVolumeAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    public static ListWatch<V1StorageClass> StorageClasses(IKubernetes client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return Create<V1StorageClass, V1StorageClassList>(
            ct => client.StorageV1.ListStorageClassAsync(cancellationToken: ct),
            (r, onError, ct) => client.StorageV1.WatchListStorageClassAsync(
                allowWatchBookmarks: r.AllowWatchBookmarks, resourceVersion: r.ResourceVersion, timeoutSeconds: r.TimeoutSeconds, onError: onError, cancellationToken: ct));
    }

    /// <summary>
    /// Builds a list-watch from a generated List…Async call and its WatchList…Async twin (which reports errors through
    /// its onError callback).
    /// </summary>
    public static ListWatch<T> Create<T, TList>(
        Func<CancellationToken, Task<TList>> list,
        Func<WatchRequest, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Item)>> watch)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IItems<T>, IMetadata<V1ListMeta>
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(watch);
        return new ListWatch<T>(
            async ct =>
            {
                TList result = await list(ct).ConfigureAwait(false);
                return new InformerList<T>([.. result.Items ?? []], result.Metadata?.ResourceVersion);
            },
            (request, ct) => WatchAsync(watch, request, ct));
    }

    private static async IAsyncEnumerable<InformerWatchEvent<T>> WatchAsync<T>(
        Func<WatchRequest, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Item)>> watch,
        WatchRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        // KubernetesClient reports an ERROR event (such as 410 Gone) through onError rather than as an event; the server
        // ends the watch right after, so it is turned back into an event once the stream ends.
        Exception? error = null;
        await foreach ((WatchEventType type, T item) in watch(request, ex => error ??= ex, cancellationToken).ConfigureAwait(false))
        {
            yield return new InformerWatchEvent<T>(type, item);
        }

        if (error is KubernetesException { Status: { } status })
        {
            yield return new InformerWatchEvent<T>(WatchEventType.Error, null, status);
        }
        else if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }
}
