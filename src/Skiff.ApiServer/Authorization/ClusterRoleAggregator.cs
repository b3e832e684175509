using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Machinery.Selectors;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// Upstream's clusterrole-aggregation controller, run inside the API server (it only reads and writes ClusterRoles, which the
/// watch cache already holds): a ClusterRole with an aggregationRule gets as its rules the rules of every other ClusterRole
/// its selectors match, in name order without duplicates. It recomputes after every ClusterRole change.
/// </summary>
internal sealed partial class ClusterRoleAggregator(ApiWatchCache cache, ObjectRegistry registry, ResourceCatalog catalog, TimeProvider timeProvider, ILogger<ClusterRoleAggregator> logger) : BackgroundService
{
    private readonly ResourceInfo _clusterRoles = catalog.Find("rbac.authorization.k8s.io", "v1", "clusterroles")!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await cache.Ready.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ResourceBucket bucket = cache.Bucket(_clusterRoles);
        while (!stoppingToken.IsCancellationRequested)
        {
            // A watcher closes on a relist or when it falls behind; then aggregate from a fresh snapshot.
            using CacheWatcher watcher = bucket.WatchFromNow("/", null, out List<CachedObject> current);
            try
            {
                await AggregateAsync(current, stoppingToken);
                while (await watcher.Reader.WaitToReadAsync(stoppingToken))
                {
                    while (watcher.Reader.TryRead(out _))
                    {
                    }

                    await AggregateAsync(bucket.Snapshot("/", null), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StatusException or Skiff.Store.StoreException)
            {
                LogFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task AggregateAsync(List<CachedObject> cached, CancellationToken cancellationToken)
    {
        var roles = cached
            .Select(c => (c.Labels, Role: JsonSerializer.Deserialize<V1ClusterRole>(c.Json, SkiffJson.Options)))
            .Where(r => r.Role?.Metadata?.Name is not null)
            .OrderBy(r => r.Role!.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        foreach ((_, V1ClusterRole? role) in roles)
        {
            if (role!.AggregationRule?.ClusterRoleSelectors is not { Count: > 0 } selectors)
            {
                continue;
            }

            List<V1PolicyRule> rules = Aggregate(role.Metadata.Name, selectors, roles.Select(r => (r.Labels, r.Role!)));
            if (Same(rules, role.Rules))
            {
                continue;
            }

            try
            {
                await registry.UpdateAsync(_clusterRoles, null, role.Metadata.Name, null, current =>
                {
                    current!["rules"] = JsonSerializer.SerializeToNode(rules, SkiffJson.Options);
                    return current;
                }, new WriteRequest("clusterrole-aggregation-controller", FieldValidation.Ignore, DryRun: false), createIfMissing: false, cancellationToken);
                LogAggregated(logger, role.Metadata.Name, rules.Count);
            }
            catch (StatusException ex) when (ex.Code == 404)
            {
                // Deleted meanwhile; the next change event recomputes.
            }
        }
    }

    /// <summary>The rules of the roles (other than <paramref name="name"/>) that any selector matches, in name order, deduplicated.</summary>
    internal static List<V1PolicyRule> Aggregate(string name, IList<V1LabelSelector> selectors, IEnumerable<(IReadOnlyDictionary<string, string> Labels, V1ClusterRole Role)> roles)
    {
        var parsed = selectors.Select(LabelSelector.FromModel).ToList();
        var rules = new List<V1PolicyRule>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((IReadOnlyDictionary<string, string> labels, V1ClusterRole role) in roles)
        {
            if (role.Metadata?.Name == name || !parsed.Any(s => s.Matches(labels)))
            {
                continue;
            }

            foreach (V1PolicyRule rule in role.Rules ?? [])
            {
                if (seen.Add(JsonSerializer.Serialize(rule, SkiffJson.Options)))
                {
                    rules.Add(rule);
                }
            }
        }

        return rules;
    }

    private static bool Same(List<V1PolicyRule> rules, IList<V1PolicyRule>? existing) =>
        JsonSerializer.Serialize(rules, SkiffJson.Options) == JsonSerializer.Serialize(existing ?? [], SkiffJson.Options);

    [LoggerMessage(EventId = 2445, Level = LogLevel.Debug, Message = "ClusterRole {Name} aggregated {Count} rules.")]
    private static partial void LogAggregated(ILogger logger, string name, int count);

    [LoggerMessage(EventId = 2446, Level = LogLevel.Warning, Message = "ClusterRole aggregation failed; retrying.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
