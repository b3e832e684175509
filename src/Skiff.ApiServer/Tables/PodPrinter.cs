using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>
/// kubectl get pods: Name, Ready, Status, Restarts, Age | IP, Node, Nominated Node, Readiness Gates. The Status cell is upstream's
/// reason logic: the phase, overridden by the pod's reason, then by init container progress, then by the last container's waiting or
/// terminated reason, and finally by deletion.
/// </summary>
internal static class PodPrinter
{
    private const string NodeLostReason = "NodeLost";

    public static ITablePrinter Create() => new TablePrinter<V1Pod>(
        [
            Columns.Name(),
            Columns.String("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            Columns.String("Status", "The aggregate status of the containers in this pod."),
            Columns.String("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            Columns.Age(),
            Columns.String("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
            Columns.String("Node", "NodeName indicates in which node this pod is scheduled.", 1),
            Columns.String("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", 1),
            Columns.String("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
        ],
        Cells);

    private static object?[] Cells(V1Pod pod, DateTimeOffset now)
    {
        V1PodSpec spec = pod.Spec ?? new V1PodSpec();
        V1PodStatus status = pod.Status ?? new V1PodStatus();
        IList<V1Container> initContainers = spec.InitContainers ?? [];
        IList<V1ContainerStatus> initStatuses = status.InitContainerStatuses ?? [];
        IList<V1ContainerStatus> containerStatuses = status.ContainerStatuses ?? [];
        IList<V1PodCondition> conditions = status.Conditions ?? [];

        int totalContainers = (spec.Containers?.Count ?? 0) + initContainers.Count(IsRestartable);
        int readyContainers = 0;
        long restarts = 0;
        long restartableInitRestarts = 0;
        DateTime? lastRestart = null;
        DateTime? lastRestartableInitRestart = null;

        string phase = status.Phase ?? string.Empty;
        string reason = string.IsNullOrEmpty(status.Reason) ? phase : status.Reason;
        if (conditions.Any(c => c?.Type == "PodScheduled" && c.Reason == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        var initByName = new Dictionary<string, V1Container>(StringComparer.Ordinal);
        foreach (V1Container container in initContainers)
        {
            if (container?.Name is { } name)
            {
                initByName[name] = container;
            }
        }

        bool initializing = false;
        for (int i = 0; i < initStatuses.Count; i++)
        {
            V1ContainerStatus container = initStatuses[i] ?? new V1ContainerStatus();
            bool restartable = initByName.TryGetValue(container.Name ?? string.Empty, out V1Container? spec_) && IsRestartable(spec_);
            restarts += container.RestartCount;
            lastRestart = Later(lastRestart, container.LastState?.Terminated?.FinishedAt);
            if (restartable)
            {
                restartableInitRestarts += container.RestartCount;
                lastRestartableInitRestart = Later(lastRestartableInitRestart, container.LastState?.Terminated?.FinishedAt);
            }

            V1ContainerStateTerminated? terminated = container.State?.Terminated;
            V1ContainerStateWaiting? waiting = container.State?.Waiting;
            if (terminated is not null && terminated.ExitCode == 0)
            {
                continue;
            }

            if (restartable && container.Started == true)
            {
                if (container.Ready)
                {
                    readyContainers++;
                }

                continue;
            }

            if (terminated is not null)
            {
                reason = string.IsNullOrEmpty(terminated.Reason)
                    ? (terminated.Signal is { } signal && signal != 0 ? $"Init:Signal:{signal}" : $"Init:ExitCode:{terminated.ExitCode}")
                    : "Init:" + terminated.Reason;
            }
            else if (!string.IsNullOrEmpty(waiting?.Reason) && waiting.Reason != "PodInitializing")
            {
                reason = "Init:" + waiting.Reason;
            }
            else
            {
                reason = $"Init:{i}/{initContainers.Count}";
            }

            initializing = true;
            break;
        }

        if (!initializing || HasCondition(conditions, "Initialized"))
        {
            restarts = restartableInitRestarts;
            lastRestart = lastRestartableInitRestart;
            bool hasRunning = false;

            // Upstream walks the statuses backwards, so the first container's state wins the Status cell.
            for (int i = containerStatuses.Count - 1; i >= 0; i--)
            {
                V1ContainerStatus container = containerStatuses[i] ?? new V1ContainerStatus();
                restarts += container.RestartCount;
                lastRestart = Later(lastRestart, container.LastState?.Terminated?.FinishedAt);
                V1ContainerStateTerminated? terminated = container.State?.Terminated;
                if (!string.IsNullOrEmpty(container.State?.Waiting?.Reason))
                {
                    reason = container.State.Waiting.Reason;
                }
                else if (terminated is not null && !string.IsNullOrEmpty(terminated.Reason))
                {
                    reason = terminated.Reason;
                }
                else if (terminated is not null)
                {
                    reason = terminated.Signal is { } signal && signal != 0 ? $"Signal:{signal}" : $"ExitCode:{terminated.ExitCode}";
                }
                else if (container.Ready && container.State?.Running is not null)
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }

            // A pod whose first container completed while another still runs is Running (or NotReady), not Completed.
            if (reason == "Completed" && hasRunning)
            {
                reason = HasCondition(conditions, "Ready") ? "Running" : "NotReady";
            }
        }

        if (pod.Metadata?.DeletionTimestamp is not null && status.Reason == NodeLostReason)
        {
            reason = "Unknown";
        }
        else if (pod.Metadata?.DeletionTimestamp is not null && phase != "Succeeded" && phase != "Failed")
        {
            reason = "Terminating";
        }

        string restartsCell = restarts != 0 && lastRestart is { } last
            ? $"{restarts} ({CellFormat.Since(last, now)} ago)"
            : restarts.ToString(System.Globalization.CultureInfo.InvariantCulture);

        string podIp = status.PodIPs is { Count: > 0 } ips ? ips[0]?.Ip ?? string.Empty : string.Empty;
        return
        [
            CellFormat.Name(pod.Metadata),
            $"{readyContainers}/{totalContainers}",
            reason,
            restartsCell,
            CellFormat.Age(pod.Metadata, now),
            OrNone(podIp),
            OrNone(spec.NodeName),
            OrNone(status.NominatedNodeName),
            ReadinessGates(spec, conditions),
        ];
    }

    private static string ReadinessGates(V1PodSpec spec, IList<V1PodCondition> conditions)
    {
        IList<V1PodReadinessGate> gates = spec.ReadinessGates ?? [];
        if (gates.Count == 0)
        {
            return CellFormat.None;
        }

        int trueConditions = gates.Count(g => conditions.FirstOrDefault(c => c?.Type == g?.ConditionType)?.Status == "True");
        return $"{trueConditions}/{gates.Count}";
    }

    private static bool IsRestartable(V1Container? container) => container?.RestartPolicy == "Always";

    private static bool HasCondition(IList<V1PodCondition> conditions, string type) =>
        conditions.Any(c => c?.Type == type && c.Status == "True");

    private static DateTime? Later(DateTime? current, DateTime? candidate) =>
        candidate is { } c && (current is not { } cur || CellFormat.ToUtc(cur) < CellFormat.ToUtc(c)) ? c : current;

    private static string OrNone(string? value) => string.IsNullOrEmpty(value) ? CellFormat.None : value;
}
