using k8s.Models;
using Skiff.ControlPlane.Scheduling.Configuration;
using Skiff.ControlPlane.Scheduling.Plugins;
using Skiff.Machinery.Informers;
using Skiff.Machinery.Selectors;

namespace Skiff.ControlPlane.Scheduling;

/// <summary>
/// What the plugins read besides nodes and pods, answered from the runner's informer caches (upstream's framework.Handle
/// listers): namespace labels, the selector of the Services and workloads that select a pod (default spread constraints),
/// and claims, volumes and storage classes (VolumeBinding).
/// </summary>
internal static class SchedulerListers
{
    public static PluginFactoryContext Create(SharedInformerFactory informers)
    {
        SharedInformer<V1Namespace> namespaces = informers.Namespaces();
        SharedInformer<V1Service> services = informers.Services();
        SharedInformer<V1ReplicaSet> replicaSets = informers.ReplicaSets();
        SharedInformer<V1StatefulSet> statefulSets = informers.StatefulSets();
        SharedInformer<V1PersistentVolumeClaim> claims = informers.PersistentVolumeClaims();
        SharedInformer<V1PersistentVolume> volumes = informers.PersistentVolumes();
        SharedInformer<V1StorageClass> classes = informers.StorageClasses();
        return new PluginFactoryContext(
            NamespaceLabels: name => namespaces.Cache.Get(null, name)?.Metadata?.Labels as IReadOnlyDictionary<string, string>,
            DefaultSpreadSelector: pod => DefaultSelector(pod, services, replicaSets, statefulSets),
            Volumes: new VolumeLookups(
                (ns, name) => claims.Cache.Get(ns, name),
                name => volumes.Cache.Get(null, name),
                name => classes.Cache.Get(null, name)));
    }

    /// <summary>
    /// Upstream's DefaultSelector: the labels of every Service in the pod's namespace whose selector matches it, and the
    /// selectors of the ReplicaSets and StatefulSets that match it, all required together; null when none selects the pod.
    /// </summary>
    private static V1LabelSelector? DefaultSelector(
        V1Pod pod, SharedInformer<V1Service> services, SharedInformer<V1ReplicaSet> replicaSets, SharedInformer<V1StatefulSet> statefulSets)
    {
        string ns = pod.Metadata?.NamespaceProperty ?? "default";
        var podLabels = pod.Metadata?.Labels as IReadOnlyDictionary<string, string> ?? new Dictionary<string, string>();
        var matchLabels = new Dictionary<string, string>(StringComparer.Ordinal);
        var expressions = new List<V1LabelSelectorRequirement>();
        foreach (V1Service service in services.Cache.ByIndex(CacheIndexers.Namespace, ns))
        {
            if (service.Spec?.Selector is { Count: > 0 } selector && selector.All(kv => podLabels.TryGetValue(kv.Key, out string? v) && v == kv.Value))
            {
                foreach (KeyValuePair<string, string> kv in selector)
                {
                    matchLabels[kv.Key] = kv.Value;
                }
            }
        }

        IEnumerable<V1LabelSelector?> workloadSelectors = replicaSets.Cache.ByIndex(CacheIndexers.Namespace, ns).Select(r => r.Spec?.Selector)
            .Concat(statefulSets.Cache.ByIndex(CacheIndexers.Namespace, ns).Select(s => s.Spec?.Selector));
        foreach (V1LabelSelector? selector in workloadSelectors)
        {
            LabelSelector parsed = LabelSelector.FromModel(selector);
            if (selector is null || parsed.IsEmpty || !parsed.Matches(podLabels))
            {
                continue;
            }

            foreach (KeyValuePair<string, string> kv in selector.MatchLabels ?? new Dictionary<string, string>())
            {
                matchLabels[kv.Key] = kv.Value;
            }

            expressions.AddRange(selector.MatchExpressions ?? []);
        }

        return matchLabels.Count == 0 && expressions.Count == 0
            ? null
            : new V1LabelSelector { MatchLabels = matchLabels, MatchExpressions = expressions.Count == 0 ? null : expressions };
    }
}
