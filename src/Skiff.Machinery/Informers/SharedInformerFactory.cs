using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Machinery.Catalog;

namespace Skiff.Machinery.Informers;

/// <summary>
/// One <see cref="SharedInformer{T}"/> per resource type for one client, so every controller in a process shares a single
/// list-watch and cache per type. Ask for the informers, register handlers, then <see cref="Start"/> and
/// <see cref="WaitForCacheSyncAsync"/>.
/// </summary>
public sealed class SharedInformerFactory : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeSpan _resyncPeriod;
    private readonly Lock _lock = new();
    // Keyed by model type, or by resource for metadata informers (many resources share PartialObjectMetadata).
    private readonly Dictionary<object, object> _informers = [];
    private readonly List<Func<CancellationToken, Task>> _waitForSync = [];
    private readonly List<Func<CancellationToken, Task>> _notStarted = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stopping = new();

    public SharedInformerFactory(IKubernetes client, TimeProvider timeProvider, ILoggerFactory loggerFactory, TimeSpan resyncPeriod)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _resyncPeriod = resyncPeriod;
    }

    /// <summary>Pods, indexed by namespace, owner UID and spec.nodeName.</summary>
    public SharedInformer<V1Pod> Pods() => GetOrCreate(
        KubernetesListWatch.Pods,
        new Dictionary<string, Func<V1Pod, IEnumerable<string>>>(CacheIndexers.Default<V1Pod>())
        {
            [CacheIndexers.NodeName] = CacheIndexers.ByNodeName,
        });

    public SharedInformer<V1ReplicaSet> ReplicaSets() => GetOrCreate(KubernetesListWatch.ReplicaSets, CacheIndexers.Default<V1ReplicaSet>());

    public SharedInformer<V1Deployment> Deployments() => GetOrCreate(KubernetesListWatch.Deployments, CacheIndexers.Default<V1Deployment>());

    public SharedInformer<V1Namespace> Namespaces() => GetOrCreate(KubernetesListWatch.Namespaces, null);

    public SharedInformer<V1Node> Nodes() => GetOrCreate(KubernetesListWatch.Nodes, null);

    public SharedInformer<V1StatefulSet> StatefulSets() => GetOrCreate(KubernetesListWatch.StatefulSets, CacheIndexers.Default<V1StatefulSet>());

    public SharedInformer<V1DaemonSet> DaemonSets() => GetOrCreate(KubernetesListWatch.DaemonSets, CacheIndexers.Default<V1DaemonSet>());

    public SharedInformer<V1ControllerRevision> ControllerRevisions() => GetOrCreate(KubernetesListWatch.ControllerRevisions, CacheIndexers.Default<V1ControllerRevision>());

    public SharedInformer<V1Job> Jobs() => GetOrCreate(KubernetesListWatch.Jobs, CacheIndexers.Default<V1Job>());

    public SharedInformer<V1CronJob> CronJobs() => GetOrCreate(KubernetesListWatch.CronJobs, CacheIndexers.Default<V1CronJob>());

    public SharedInformer<V1Service> Services() => GetOrCreate(KubernetesListWatch.Services, CacheIndexers.Default<V1Service>());

    public SharedInformer<V1Endpoints> Endpoints() => GetOrCreate(KubernetesListWatch.Endpoints, CacheIndexers.Default<V1Endpoints>());

    public SharedInformer<V1EndpointSlice> EndpointSlices() => GetOrCreate(KubernetesListWatch.EndpointSlices, CacheIndexers.Default<V1EndpointSlice>());

    public SharedInformer<V1Lease> Leases() => GetOrCreate(KubernetesListWatch.Leases, CacheIndexers.Default<V1Lease>());

    public SharedInformer<V1PodDisruptionBudget> PodDisruptionBudgets() => GetOrCreate(KubernetesListWatch.PodDisruptionBudgets, CacheIndexers.Default<V1PodDisruptionBudget>());

    public SharedInformer<V1ResourceQuota> ResourceQuotas() => GetOrCreate(KubernetesListWatch.ResourceQuotas, CacheIndexers.Default<V1ResourceQuota>());

    public SharedInformer<V1PersistentVolumeClaim> PersistentVolumeClaims() => GetOrCreate(KubernetesListWatch.PersistentVolumeClaims, CacheIndexers.Default<V1PersistentVolumeClaim>());

    public SharedInformer<V1PersistentVolume> PersistentVolumes() => GetOrCreate(KubernetesListWatch.PersistentVolumes, CacheIndexers.Default<V1PersistentVolume>());

    public SharedInformer<V1StorageClass> StorageClasses() => GetOrCreate(KubernetesListWatch.StorageClasses, CacheIndexers.Default<V1StorageClass>());

    /// <summary>
    /// A metadata-only informer for any listable, watchable resource (<see cref="MetadataListWatch"/>), one per resource,
    /// indexed by namespace and owner UID: how a component follows every kind without its model type (the garbage collector).
    /// </summary>
    public SharedInformer<PartialObjectMetadata> Metadata(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string key = "metadata:" + resource.ApiVersion + "/" + resource.Plural;
        lock (_lock)
        {
            if (_informers.TryGetValue(key, out object? existing))
            {
                return (SharedInformer<PartialObjectMetadata>)existing;
            }

            var informer = new SharedInformer<PartialObjectMetadata>(
                MetadataListWatch.For(_client, resource),
                _timeProvider,
                _loggerFactory.CreateLogger<SharedInformer<PartialObjectMetadata>>(),
                _resyncPeriod,
                CacheIndexers.Default<PartialObjectMetadata>());
            _informers[key] = informer;
            _notStarted.Add(informer.RunAsync);
            _waitForSync.Add(informer.WaitForSyncAsync);
            return informer;
        }
    }

    /// <summary>The informer for <typeparamref name="T"/>, created on first use from <paramref name="listWatch"/>.</summary>
    public SharedInformer<T> GetOrCreate<T>(
        Func<IKubernetes, ListWatch<T>> listWatch,
        IReadOnlyDictionary<string, Func<T, IEnumerable<string>>>? indexers)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(listWatch);
        lock (_lock)
        {
            if (_informers.TryGetValue(typeof(T), out object? existing))
            {
                return (SharedInformer<T>)existing;
            }

            var informer = new SharedInformer<T>(
                listWatch(_client), _timeProvider, _loggerFactory.CreateLogger<SharedInformer<T>>(), _resyncPeriod, indexers);
            _informers[typeof(T)] = informer;
            _notStarted.Add(informer.RunAsync);
            _waitForSync.Add(informer.WaitForSyncAsync);
            return informer;
        }
    }

    /// <summary>Starts every informer created so far that has not started; they stop with the token or on dispose.</summary>
    public void Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            var started = new List<Task>();
            foreach (Func<CancellationToken, Task> run in _notStarted)
            {
                started.Add(Task.Run(() => run(linked.Token), CancellationToken.None));
            }

            _notStarted.Clear();
            _running.AddRange(started);
            _ = Task.WhenAll(started).ContinueWith(_ => linked.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    /// <summary>Completes once every informer created so far has synced.</summary>
    public Task WaitForCacheSyncAsync(CancellationToken cancellationToken)
    {
        List<Task> syncs;
        lock (_lock)
        {
            syncs = [.. _waitForSync.Select(wait => wait(cancellationToken))];
        }

        return Task.WhenAll(syncs);
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
