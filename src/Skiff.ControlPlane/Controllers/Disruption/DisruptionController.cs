using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skiff.ControlPlane.Controllers.ReplicaSet;
using Skiff.ControlPlane.Events;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Controllers.Disruption;

/// <summary>
/// Computes the status of every PodDisruptionBudget (upstream pkg/controller/disruption): currentHealthy, desiredHealthy,
/// expectedPods and disruptionsAllowed, the DisruptionAllowed condition, and the cleanup of status.disruptedPods. The
/// eviction subresource reads disruptionsAllowed, so this status is what lets <c>kubectl drain</c> proceed or makes it wait.
/// </summary>
public sealed partial class DisruptionController : Controller
{
    private readonly IKubernetes _client;
    private readonly ILogger<DisruptionController> _logger;
    private readonly IEventRecorder _events;
    private SharedInformer<V1PodDisruptionBudget>? _budgets;
    private SharedInformer<V1Pod>? _pods;
    private SharedInformer<V1ReplicaSet>? _replicaSets;
    private SharedInformer<V1Deployment>? _deployments;
    private SharedInformer<V1StatefulSet>? _statefulSets;

    public DisruptionController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<DisruptionController> logger,
        IEventRecorder? events = null,
        int workers = 2)
        : base("disruption", workers, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _logger = logger;
        _events = (events ?? NullEventRecorder.Instance).ForComponent("controllermanager");
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _budgets = informers.PodDisruptionBudgets();
        _pods = informers.Pods();
        _replicaSets = informers.ReplicaSets();
        _deployments = informers.Deployments();
        _statefulSets = informers.StatefulSets();
        _budgets.AddEventHandler(EnqueueHandler<V1PodDisruptionBudget>());
        _pods.AddEventHandler(new InformerHandler<V1Pod>(
            onAdd: EnqueueBudgetsOf,
            onUpdate: (old, pod) =>
            {
                EnqueueBudgetsOf(old);
                EnqueueBudgetsOf(pod);
            },
            onDelete: EnqueueBudgetsOf));

        // A controller's replicas decide expectedPods for maxUnavailable and percentages.
        _replicaSets.AddEventHandler(new InformerHandler<V1ReplicaSet>(onUpdate: (old, rs) => EnqueueOnScale(old.Spec?.Replicas, rs.Spec?.Replicas, rs)));
        _deployments.AddEventHandler(new InformerHandler<V1Deployment>(onUpdate: (old, d) => EnqueueOnScale(old.Spec?.Replicas, d.Spec?.Replicas, d)));
        _statefulSets.AddEventHandler(new InformerHandler<V1StatefulSet>(onUpdate: (old, s) => EnqueueOnScale(old.Spec?.Replicas, s.Spec?.Replicas, s)));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        if (_budgets is null || _pods is null || !_budgets.Cache.TryGet(key, out V1PodDisruptionBudget? pdb) || pdb.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        string ns = pdb.Metadata.NamespaceProperty;
        List<V1Pod> pods = DisruptionSync.SelectPods(pdb, _pods.Cache.ByIndex(CacheIndexers.Namespace, ns));
        if (pods.Count == 0)
        {
            _events.Record(pdb, EventTypes.Normal, "NoPods", "No matching pods found");
        }

        DateTimeOffset now = TimeProvider.GetUtcNow();
        V1PodDisruptionBudgetStatus status;
        DateTimeOffset? recheckAt = null;
        int scale = 0;
        var unmanaged = new List<string>();
        string? failure = DisruptionSync.NeedsControllerScale(pdb) ? await ExpectedScaleAsync(pods, unmanaged, s => scale = s, cancellationToken).ConfigureAwait(false) : null;
        if (failure is null && unmanaged.Count > 0)
        {
            _events.Record(
                pdb,
                EventTypes.Warning,
                "UnmanagedPods",
                $"Pods selected by this PodDisruptionBudget (selector: {SelectorText(pdb.Spec?.Selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value.");
        }

        if (failure is not null)
        {
            _events.Record(pdb, EventTypes.Warning, "CalculateExpectedPodCountFailed", "Failed to calculate the number of expected pods: " + failure);
            LogSyncFailed(_logger, ns, pdb.Metadata.Name, failure);
            status = DisruptionSync.FailSafe(pdb, failure, now);
        }
        else
        {
            (int expected, int desiredHealthy) = DisruptionSync.Desired(pdb, pods.Count, scale);
            status = DisruptionSync.ComputeStatus(pdb, pods, expected, desiredHealthy, now, out recheckAt);
        }

        if (!DisruptionSync.StatusEquals(pdb.Status, status))
        {
            V1PodDisruptionBudget update = ReplicaSetSync.Clone(pdb);
            update.Status = status;
            await _client.PolicyV1.ReplaceNamespacedPodDisruptionBudgetStatusAsync(update, pdb.Metadata.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogStatus(_logger, ns, pdb.Metadata.Name, status.CurrentHealthy ?? 0, status.DesiredHealthy ?? 0, status.DisruptionsAllowed ?? 0);
        }

        if (recheckAt is { } at)
        {
            Queue.AddAfter(key, at - now);
        }
    }

    /// <summary>
    /// Sums the replicas of the controllers of <paramref name="pods"/> (a ReplicaSet's Deployment when it has one), each
    /// controller once; pods without a controller are collected in <paramref name="unmanaged"/>. Returns why it could not
    /// count (a controller that cannot be found), as upstream's getExpectedScale does.
    /// </summary>
    private async Task<string?> ExpectedScaleAsync(List<V1Pod> pods, List<string> unmanaged, Action<int> result, CancellationToken cancellationToken)
    {
        // Keyed by the controller counted (a Deployment for all its ReplicaSets), so each counts once.
        var scales = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            V1OwnerReference? owner = PodControl.ControllerOf(pod.Metadata);
            if (owner is null)
            {
                // Upstream counts such pods as unmanaged and goes on (with a warning) rather than failing the sync.
                unmanaged.Add(pod.Metadata.Name);
                continue;
            }

            if (seen.Contains(owner.Uid))
            {
                continue;
            }

            (string Uid, int Replicas)? found = await FindScaleAsync(pod.Metadata.NamespaceProperty, owner, cancellationToken).ConfigureAwait(false);
            if (found is not { } scale)
            {
                return $"found no controllers for pod \"{pod.Metadata.Name}\"";
            }

            seen.Add(owner.Uid);
            scales[scale.Uid] = scale.Replicas;
        }

        result(scales.Values.Sum());
        return null;
    }

    // The finders upstream tries in turn: ReplicaSet (or its Deployment), StatefulSet, then any kind with a scale subresource
    // (ReplicationController and custom workloads). The uid of the controller counted is returned so it counts once.
    private async Task<(string Uid, int Replicas)?> FindScaleAsync(string ns, V1OwnerReference owner, CancellationToken cancellationToken)
    {
        if (owner.Kind == "ReplicaSet" && owner.ApiVersion?.StartsWith("apps/", StringComparison.Ordinal) == true)
        {
            if (_replicaSets?.Cache.Get(ns, owner.Name) is not { } rs || rs.Metadata.Uid != owner.Uid)
            {
                return null;
            }

            if (PodControl.ControllerOf(rs.Metadata) is { Kind: "Deployment" } deploymentRef
                && _deployments?.Cache.Get(ns, deploymentRef.Name) is { } deployment
                && deployment.Metadata.Uid == deploymentRef.Uid)
            {
                return (deployment.Metadata.Uid, deployment.Spec?.Replicas ?? 1);
            }

            return (rs.Metadata.Uid, rs.Spec?.Replicas ?? 1);
        }

        if (owner.Kind == "StatefulSet" && owner.ApiVersion?.StartsWith("apps/", StringComparison.Ordinal) == true)
        {
            return _statefulSets?.Cache.Get(ns, owner.Name) is { } set && set.Metadata.Uid == owner.Uid ? (set.Metadata.Uid, set.Spec?.Replicas ?? 1) : null;
        }

        return await ReadScaleAsync(ns, owner, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(string Uid, int Replicas)?> ReadScaleAsync(string ns, V1OwnerReference owner, CancellationToken cancellationToken)
    {
        string apiVersion = owner.ApiVersion ?? string.Empty;
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        (string group, string version) = slash < 0 ? (string.Empty, apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        ResourceInfo? resource = ResourceCatalog.BuiltIn.FindKind(group, version, owner.Kind);
        if (resource is null || !resource.HasSubresource("scale"))
        {
            return null;
        }

        string prefix = string.IsNullOrEmpty(group) ? $"api/{version}" : $"apis/{group}/{version}";
        var kubernetes = (Kubernetes)_client;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kubernetes.BaseUri, $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{resource.Plural}/{Uri.EscapeDataString(owner.Name)}/scale"));
        request.Headers.Accept.ParseAdd("application/json");
        using HttpResponseMessage response = await kubernetes.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpOperationException($"Reading the scale of {resource.Plural} {ns}/{owner.Name} failed with {(int)response.StatusCode}.");
        }

        using JsonDocument scale = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        JsonElement root = scale.RootElement;
        string? uid = root.TryGetProperty("metadata", out JsonElement meta) && meta.TryGetProperty("uid", out JsonElement u) ? u.GetString() : null;
        if (uid is not null && uid != owner.Uid)
        {
            return null;
        }

        int replicas = root.TryGetProperty("spec", out JsonElement spec) && spec.TryGetProperty("replicas", out JsonElement r) && r.TryGetInt32(out int n) ? n : 0;
        return (owner.Uid, replicas);
    }

    private static string SelectorText(V1LabelSelector? selector) =>
        string.Join(",", (selector?.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}")
            .Concat((selector?.MatchExpressions ?? []).Select(e => $"{e.Key} {e.OperatorProperty} ({string.Join(",", e.Values ?? [])})")));

    private void EnqueueOnScale(int? before, int? after, IKubernetesObject<V1ObjectMeta> workload)
    {
        if (before == after || _budgets is null)
        {
            return;
        }

        foreach (V1PodDisruptionBudget pdb in _budgets.Cache.ByIndex(CacheIndexers.Namespace, workload.Metadata?.NamespaceProperty ?? string.Empty))
        {
            Enqueue(pdb);
        }
    }

    private void EnqueueBudgetsOf(V1Pod pod)
    {
        if (_budgets is null)
        {
            return;
        }

        foreach (V1PodDisruptionBudget pdb in _budgets.Cache.ByIndex(CacheIndexers.Namespace, pod.Metadata?.NamespaceProperty ?? string.Empty))
        {
            if (pdb.Spec?.Selector is { } selector && LabelSelector.FromModel(selector).Matches(pod.Metadata?.Labels as IReadOnlyDictionary<string, string>))
            {
                Enqueue(pdb);
            }
        }
    }
}
