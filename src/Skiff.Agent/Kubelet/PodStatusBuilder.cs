using k8s.Models;
using Skiff.Agent.Kubelet.Lifecycle;

namespace Skiff.Agent.Kubelet;

/// <summary>Computes a pod's status (phase, conditions, IPs, container statuses, QoS class) from its runtime state; pure.</summary>
internal static partial class PodStatusBuilder
{
    /// <summary>
    /// The status for <paramref name="pod"/>. <paramref name="previous"/> conditions keep their lastTransitionTime while their
    /// status is unchanged; times are whole seconds, as the API stores them, so an unchanged pod computes the same status.
    /// </summary>
    public static V1PodStatus Build(V1Pod pod, PodRuntimeState state, string hostIp, DateTime startTime, IList<V1PodCondition>? previous, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(state);
        bool hasInit = pod.Spec.InitContainers is { Count: > 0 };
        string restartPolicy = pod.Spec.RestartPolicy ?? "Always";
        var initStatuses = (pod.Spec.InitContainers ?? []).Select(c => ContainerStatusOf(c, state, hasInit, IsSidecar(c) ? "Always" : restartPolicy, init: !IsSidecar(c))).ToList();
        var statuses = (pod.Spec.Containers ?? []).Select(c => ContainerStatusOf(c, state, hasInit, restartPolicy, init: false)).ToList();

        string phase = state.TerminalPhase ?? Phase(pod.Spec, initStatuses, statuses);
        bool completed = phase == "Succeeded";
        var unready = (pod.Spec.InitContainers ?? []).Where(IsSidecar).Select(c => c.Name)
            .Concat((pod.Spec.Containers ?? []).Select(c => c.Name))
            .Where(n => initStatuses.Concat(statuses).First(s => s.Name == n).Ready != true)
            .ToList();
        var incomplete = (pod.Spec.InitContainers ?? []).Where(c => !InitDone(c, initStatuses.First(s => s.Name == c.Name))).Select(c => c.Name).ToList();
        // Once a regular container has run, initialisation is over even if an init container's record is gone.
        if (statuses.Any(s => s.State?.Waiting is null || s.LastState?.Terminated is not null))
        {
            incomplete.Clear();
        }

        var gates = (pod.Spec.ReadinessGates ?? []).Select(g => g.ConditionType)
            .Where(t => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == t)?.Status != "True").ToList();
        (string status, string? reason, string? message) containersReady = completed ? ("False", "PodCompleted", null)
            : unready.Count == 0 ? ("True", null, null)
            : ("False", "ContainersNotReady", "containers with unready status: [" + string.Join(' ', unready) + "]");
        (string status, string? reason, string? message) ready = containersReady.status == "True" && gates.Count > 0
            ? ("False", "ReadinessGatesNotReady", "corresponding condition of pod readiness gate \"" + gates[0] + "\" does not exist.")
            : containersReady;

        var conditions = new List<V1PodCondition>
        {
            Condition("PodReadyToStartContainers", state.SandboxReady && state.PodIp is not null ? "True" : "False", null, null, previous, now),
            incomplete.Count == 0
                ? Condition("Initialized", "True", null, null, previous, now)
                : Condition("Initialized", "False", "ContainersNotInitialized", "containers with incomplete status: [" + string.Join(' ', incomplete) + "]", previous, now),
            Condition("Ready", ready.status, ready.reason, ready.message, previous, now),
            Condition("ContainersReady", containersReady.status, containersReady.reason, containersReady.message, previous, now),
            Condition("PodScheduled", "True", null, null, previous, now),
        };
        return new V1PodStatus
        {
            Phase = phase,
            Conditions = conditions,
            HostIP = hostIp,
            HostIPs = [new V1HostIP { Ip = hostIp }],
            PodIP = state.PodIp,
            PodIPs = state.PodIp is null ? null : [new V1PodIP { Ip = state.PodIp }],
            StartTime = Seconds(startTime),
            InitContainerStatuses = hasInit ? initStatuses : null,
            ContainerStatuses = statuses,
            QosClass = QosClass.Of(pod.Spec),
        };
    }

    /// <summary>An init container with restartPolicy Always: a native sidecar.</summary>
    public static bool IsSidecar(V1Container container) => container.RestartPolicy == "Always";

    /// <summary>
    /// Upstream's phase rules: Failed when a regular init container failed under restartPolicy Never; Pending while
    /// initialisation is pending (and no regular container has run) or a container waits for its first start; Running
    /// when all have started and one runs; once all regular containers stopped, Running under Always, Succeeded when all
    /// exited 0, Failed under Never, Running under OnFailure (they are restarted). Sidecars count only while they run.
    /// </summary>
    internal static string Phase(V1PodSpec spec, IReadOnlyList<V1ContainerStatus> initStatuses, IReadOnlyList<V1ContainerStatus> statuses)
    {
        int pendingInit = 0;
        int failedInit = 0;
        int unknown = 0;
        int running = 0;
        int waiting = 0;
        int stopped = 0;
        int succeeded = 0;
        foreach (V1Container c in spec.InitContainers ?? [])
        {
            V1ContainerStatus s = initStatuses.First(x => x.Name == c.Name);
            bool everRan = s.State?.Waiting is null || s.LastState?.Terminated is not null;
            if (IsSidecar(c))
            {
                if (s.State?.Running is not null)
                {
                    running++;
                    pendingInit += s.Started == true ? 0 : 1;
                }
                else if (!everRan)
                {
                    pendingInit++;
                    waiting++;
                }

                continue;
            }

            V1ContainerStateTerminated? last = s.State?.Terminated ?? (s.State?.Waiting is not null ? s.LastState?.Terminated : null);
            if (s.State?.Running is not null || last is null)
            {
                pendingInit++;
            }
            else if (last.ExitCode != 0)
            {
                failedInit++;
            }
        }

        foreach (V1ContainerStatus s in statuses)
        {
            if (s.State?.Running is not null)
            {
                running++;
            }
            else if (s.State?.Terminated is { } t)
            {
                stopped++;
                succeeded += t.ExitCode == 0 ? 1 : 0;
            }
            else if (s.LastState?.Terminated is not null)
            {
                stopped++;
            }
            else if (s.State?.Waiting is not null)
            {
                waiting++;
            }
            else
            {
                unknown++;
            }
        }

        string restartPolicy = spec.RestartPolicy ?? "Always";
        bool regularStarted = statuses.Any(s => s.State?.Waiting is null || s.LastState?.Terminated is not null);
        if (failedInit > 0 && restartPolicy == "Never")
        {
            return "Failed";
        }

        if ((pendingInit > 0 && !regularStarted) || waiting > 0)
        {
            return "Pending";
        }

        if (running > 0 && unknown == 0)
        {
            return "Running";
        }

        if (running == 0 && stopped > 0 && unknown == 0)
        {
            return restartPolicy == "Always" ? "Running"
                : stopped == succeeded ? "Succeeded"
                : restartPolicy == "Never" ? "Failed"
                : "Running";
        }

        return "Pending";
    }

    private static bool InitDone(V1Container container, V1ContainerStatus status) =>
        IsSidecar(container) ? status.Started == true : status.State?.Terminated?.ExitCode == 0;

    private static V1PodCondition Condition(string type, string status, string? reason, string? message, IList<V1PodCondition>? previous, DateTime now)
    {
        V1PodCondition? old = previous?.FirstOrDefault(c => c.Type == type);
        DateTime transition = old is { LastTransitionTime: { } t } && old.Status == status ? t : Seconds(now);
        return new V1PodCondition { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = transition };
    }

    private static DateTime FromNanos(long nanos) => Seconds(DateTime.UnixEpoch.AddTicks(nanos / 100));

    private static DateTime Seconds(DateTime time)
    {
        DateTime utc = time.ToUniversalTime();
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
