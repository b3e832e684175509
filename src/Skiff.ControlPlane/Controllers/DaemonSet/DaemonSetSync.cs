using k8s.Models;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.DaemonSet;

/// <summary>
/// The pure half of a DaemonSet sync (upstream pkg/controller/daemon): the pod for a node, which node a pod is for, which
/// pods to create and delete so every eligible node runs exactly one, and the status to write.
/// </summary>
internal static class DaemonSetSync
{
    public const string RevisionHashLabel = "controller-revision-hash";
    public const string TemplateGenerationLabel = "pod-template-generation";
    public const string TemplateGenerationAnnotation = "deprecated.daemonset.template.generation";

    /// <summary>
    /// The daemon pod for <paramref name="nodeName"/>. Like upstream since 1.12 it names its node through required node
    /// affinity (<c>matchFields metadata.name In [node]</c>), not spec.nodeName, so the scheduler still binds it and checks
    /// the node's resources; until a scheduler runs, such pods stay Pending.
    /// </summary>
    public static V1Pod NewPod(V1DaemonSet ds, string nodeName, string hash)
    {
        V1PodTemplateSpec template = ReplicaSetSync.Clone(ds.Spec?.Template ?? new V1PodTemplateSpec());
        V1ObjectMeta meta = template.Metadata ?? new V1ObjectMeta();
        var labels = new Dictionary<string, string>(meta.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [RevisionHashLabel] = hash,
        };
        if (TemplateGeneration(ds) is { } generation)
        {
            labels[TemplateGenerationLabel] = generation;
        }

        V1PodSpec spec = template.Spec ?? new V1PodSpec();
        spec.Tolerations = NodeEligibility.WithDefaultTolerations(spec);
        spec.Affinity ??= new V1Affinity();
        spec.Affinity.NodeAffinity ??= new V1NodeAffinity();
        spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
        {
            NodeSelectorTerms =
            [
                new V1NodeSelectorTerm
                {
                    MatchFields = [new V1NodeSelectorRequirement { Key = NodeEligibility.NodeNameField, OperatorProperty = "In", Values = [nodeName] }],
                },
            ],
        };
        return new V1Pod
        {
            ApiVersion = "v1",
            Kind = "Pod",
            Metadata = new V1ObjectMeta
            {
                GenerateName = ds.Metadata.Name + "-",
                NamespaceProperty = ds.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = meta.Annotations is null ? null : new Dictionary<string, string>(meta.Annotations),
                Finalizers = meta.Finalizers,
                OwnerReferences = [PodControl.ControllerReference("apps/v1", "DaemonSet", ds.Metadata)],
            },
            Spec = spec,
        };
    }

    /// <summary>The node a daemon pod is for: its spec.nodeName once bound, else the node its affinity names.</summary>
    public static string? TargetNode(V1Pod pod)
    {
        if (!string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            return pod.Spec.NodeName;
        }

        IEnumerable<V1NodeSelectorTerm> terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms ?? [];
        return terms.SelectMany(t => t.MatchFields ?? [])
            .Where(r => r.Key == NodeEligibility.NodeNameField && r.OperatorProperty == "In" && r.Values?.Count == 1)
            .Select(r => r.Values[0])
            .FirstOrDefault();
    }

    public static string? TemplateGeneration(V1DaemonSet ds) =>
        ds.Metadata?.Annotations is { } a && a.TryGetValue(TemplateGenerationAnnotation, out string? g) ? g : null;

    /// <summary>Runs the current template: its revision hash label (or, for pods from before hashes, the template generation) matches.</summary>
    public static bool IsUpdated(V1Pod pod, V1DaemonSet ds, string hash)
    {
        IDictionary<string, string> labels = pod.Metadata?.Labels ?? new Dictionary<string, string>();
        bool hashMatches = labels.TryGetValue(RevisionHashLabel, out string? h) && h == hash;
        bool generationMatches = TemplateGeneration(ds) is { } g && labels.TryGetValue(TemplateGenerationLabel, out string? pg) && pg == g;
        return hashMatches || generationMatches;
    }

    /// <summary>Scheduled first, then oldest, then by name (upstream podByCreationTimestampAndPhase).</summary>
    public static List<V1Pod> OldestFirst(IEnumerable<V1Pod> pods) =>
        [.. pods
            .OrderBy(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? 1 : 0)
            .ThenBy(p => p.Metadata?.CreationTimestamp ?? DateTime.MaxValue)
            .ThenBy(p => p.Metadata?.Name, StringComparer.Ordinal)];

    /// <summary>Pods grouped by the node they are for; pods for no node at all are left out.</summary>
    public static Dictionary<string, List<V1Pod>> ByNode(IEnumerable<V1Pod> pods)
    {
        var byNode = new Dictionary<string, List<V1Pod>>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            if (TargetNode(pod) is { } node)
            {
                (byNode.TryGetValue(node, out List<V1Pod>? list) ? list : byNode[node] = []).Add(pod);
            }
        }

        return byNode;
    }

    /// <summary>
    /// What makes each node run exactly the daemon pods it should (upstream manage/podsShouldBeOnNode): a pod where one should
    /// run and none does; failed or finished pods replaced; extra pods removed (oldest kept, or with maxSurge the oldest old
    /// and oldest updated pod until the updated one is available); every pod removed from nodes it must leave, and unbound
    /// pods for nodes that no longer exist.
    /// </summary>
    public static DaemonSetStep Manage(V1DaemonSet ds, IEnumerable<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> byNode, string hash, DateTimeOffset now)
    {
        var step = new DaemonSetStep();
        bool surge = DaemonSetUpdate.AllowsSurge(ds);
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1Node node in nodes)
        {
            string name = node.Metadata?.Name ?? string.Empty;
            known.Add(name);
            (bool shouldRun, bool shouldContinueRunning) = NodeEligibility.ShouldRunOn(node, ds);
            List<V1Pod> pods = byNode.TryGetValue(name, out List<V1Pod>? list) ? list : [];
            if (shouldRun && pods.Count == 0)
            {
                step.CreateOn.Add(name);
            }
            else if (shouldContinueRunning)
            {
                KeepOne(ds, name, pods, shouldRun, surge, hash, now, step);
            }
            else
            {
                step.Delete.AddRange(pods.Where(p => p.Metadata?.DeletionTimestamp is null));
            }
        }

        // Unbound pods waiting for a node that is gone would wait forever (bound ones are the pod GC's to remove).
        foreach ((string node, List<V1Pod> pods) in byNode)
        {
            if (!known.Contains(node))
            {
                step.Delete.AddRange(pods.Where(p => p.Metadata?.DeletionTimestamp is null && string.IsNullOrEmpty(p.Spec?.NodeName)));
            }
        }

        return step;
    }

    private static void KeepOne(V1DaemonSet ds, string node, List<V1Pod> pods, bool shouldRun, bool surge, string hash, DateTimeOffset now, DaemonSetStep step)
    {
        var running = new List<V1Pod>();
        foreach (V1Pod pod in pods.Where(p => p.Metadata?.DeletionTimestamp is null))
        {
            if (pod.Status?.Phase is "Failed" or "Succeeded")
            {
                step.Failed.Add((pod, node));
                step.Delete.Add(pod);
            }
            else
            {
                running.Add(pod);
            }
        }

        List<V1Pod> oldestFirst = OldestFirst(running);
        if (!surge)
        {
            // A failed pod's successor is created by the next sync, once the failed one is gone.
            step.Delete.AddRange(oldestFirst.Skip(1));
            return;
        }

        if (oldestFirst.Count <= 1)
        {
            if (oldestFirst.Count == 0 && shouldRun)
            {
                step.CreateOn.Add(node);
            }

            return;
        }

        V1Pod? oldestNew = null, oldestOld = null;
        foreach (V1Pod pod in oldestFirst)
        {
            if (IsUpdated(pod, ds, hash))
            {
                if (oldestNew is null)
                {
                    oldestNew = pod;
                    continue;
                }
            }
            else if (oldestOld is null)
            {
                oldestOld = pod;
                continue;
            }

            step.Delete.Add(pod);
        }

        if (oldestNew is not null && oldestOld is not null
            && (!PodControl.IsReady(oldestOld) || PodControl.IsAvailable(oldestNew, ds.Spec?.MinReadySeconds ?? 0, now)))
        {
            step.Delete.Add(oldestOld);
        }
    }

    public static V1DaemonSetStatus ComputeStatus(V1DaemonSet ds, IEnumerable<V1Node> nodes, IReadOnlyDictionary<string, List<V1Pod>> byNode, string hash, int? collisionCount, DateTimeOffset now)
    {
        int desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
        int minReadySeconds = ds.Spec?.MinReadySeconds ?? 0;
        foreach (V1Node node in nodes)
        {
            (bool shouldRun, _) = NodeEligibility.ShouldRunOn(node, ds);
            List<V1Pod> pods = byNode.TryGetValue(node.Metadata?.Name ?? string.Empty, out List<V1Pod>? list) ? list : [];
            if (!shouldRun)
            {
                misscheduled += pods.Count > 0 ? 1 : 0;
                continue;
            }

            desired++;
            if (pods.Count == 0)
            {
                continue;
            }

            current++;
            V1Pod oldest = OldestFirst(pods)[0];
            if (PodControl.IsReady(oldest))
            {
                ready++;
                available += PodControl.IsAvailable(oldest, minReadySeconds, now) ? 1 : 0;
            }

            updated += IsUpdated(oldest, ds, hash) ? 1 : 0;
        }

        return new V1DaemonSetStatus
        {
            DesiredNumberScheduled = desired,
            CurrentNumberScheduled = current,
            NumberMisscheduled = misscheduled,
            NumberReady = ready,
            NumberAvailable = available,
            NumberUnavailable = desired - available,
            UpdatedNumberScheduled = updated,
            ObservedGeneration = ds.Metadata?.Generation,
            CollisionCount = collisionCount,
            Conditions = ds.Status?.Conditions,
        };
    }

    public static bool StatusEquals(V1DaemonSetStatus? a, V1DaemonSetStatus b) =>
        a is not null
        && (a.DesiredNumberScheduled, a.CurrentNumberScheduled, a.NumberMisscheduled, a.NumberReady, a.NumberAvailable ?? 0, a.NumberUnavailable ?? 0, a.UpdatedNumberScheduled ?? 0, a.ObservedGeneration, a.CollisionCount ?? 0)
            == (b.DesiredNumberScheduled, b.CurrentNumberScheduled, b.NumberMisscheduled, b.NumberReady, b.NumberAvailable ?? 0, b.NumberUnavailable ?? 0, b.UpdatedNumberScheduled ?? 0, b.ObservedGeneration, b.CollisionCount ?? 0);
}
