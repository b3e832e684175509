using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

/// <summary>Computes a pod's status (phase, conditions, IPs, container statuses) from its runtime state; pure.</summary>
internal static class PodStatusBuilder
{
    /// <summary>
    /// The status for <paramref name="pod"/>. <paramref name="previous"/> conditions keep their lastTransitionTime while their
    /// status is unchanged; times are whole seconds, as the API stores them, so an unchanged pod computes the same status.
    /// </summary>
    public static V1PodStatus Build(V1Pod pod, PodRuntimeState state, string hostIp, DateTime startTime, IList<V1PodCondition>? previous, DateTime now)
    {
        var statuses = new List<V1ContainerStatus>();
        foreach (V1Container container in pod.Spec.Containers ?? [])
        {
            statuses.Add(ContainerStatusOf(container, state));
        }

        bool allRunning = statuses.Count > 0 && statuses.All(s => s.State.Running is not null);
        string phase = Phase(pod.Spec.RestartPolicy ?? "Always", statuses);
        string ready = allRunning ? "True" : "False";
        string? notReadyReason = allRunning ? null : "ContainersNotReady";
        var conditions = new List<V1PodCondition>
        {
            Condition("PodScheduled", "True", null, previous, now),
            Condition("Initialized", "True", null, previous, now),
            Condition("ContainersReady", ready, notReadyReason, previous, now),
            Condition("Ready", ready, notReadyReason, previous, now),
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
            ContainerStatuses = statuses,
            QosClass = pod.Status?.QosClass,
        };
    }

    private static V1ContainerStatus ContainerStatusOf(V1Container container, PodRuntimeState state)
    {
        var status = new V1ContainerStatus { Name = container.Name, Image = container.Image, ImageID = "", RestartCount = 0, Ready = false, Started = false };
        if (!state.Containers.TryGetValue(container.Name, out ContainerStatus? cri))
        {
            var (reason, message) = state.Waiting.TryGetValue(container.Name, out var waiting) ? waiting : ("ContainerCreating", "");
            status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message.Length == 0 ? null : message } };
            return status;
        }

        status.ContainerID = "containerd://" + cri.Id;
        status.ImageID = cri.ImageRef;
        switch (cri.State)
        {
            case ContainerState.ContainerRunning:
                status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = FromNanos(cri.StartedAt) } };
                status.Ready = true;
                status.Started = true;
                break;
            case ContainerState.ContainerExited:
                status.State = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ExitCode = cri.ExitCode,
                        Reason = string.IsNullOrEmpty(cri.Reason) ? (cri.ExitCode == 0 ? "Completed" : "Error") : cri.Reason,
                        Message = string.IsNullOrEmpty(cri.Message) ? null : cri.Message,
                        StartedAt = cri.StartedAt == 0 ? null : FromNanos(cri.StartedAt),
                        FinishedAt = FromNanos(cri.FinishedAt),
                        ContainerID = status.ContainerID,
                    },
                };
                break;
            default:
                status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };
                break;
        }

        return status;
    }

    /// <summary>
    /// Pending until every container started; Running while any runs; once all exited: Succeeded when all exited 0,
    /// else Failed under restartPolicy Never and Running under OnFailure/Always (which would restart them; restarts come later).
    /// </summary>
    private static string Phase(string restartPolicy, List<V1ContainerStatus> statuses)
    {
        if (statuses.Count == 0 || statuses.Any(s => s.State.Waiting is not null))
        {
            return "Pending";
        }

        if (statuses.Any(s => s.State.Running is not null))
        {
            return "Running";
        }

        bool allSucceeded = statuses.All(s => s.State.Terminated?.ExitCode == 0);
        return restartPolicy switch
        {
            "Never" => allSucceeded ? "Succeeded" : "Failed",
            "OnFailure" => allSucceeded ? "Succeeded" : "Running",
            _ => "Running",
        };
    }

    private static V1PodCondition Condition(string type, string status, string? reason, IList<V1PodCondition>? previous, DateTime now)
    {
        V1PodCondition? old = previous?.FirstOrDefault(c => c.Type == type);
        DateTime transition = old is { LastTransitionTime: { } t } && old.Status == status ? t : Seconds(now);
        return new V1PodCondition { Type = type, Status = status, Reason = reason, LastTransitionTime = transition };
    }

    private static DateTime FromNanos(long nanos) => Seconds(DateTime.UnixEpoch.AddTicks(nanos / 100));

    private static DateTime Seconds(DateTime time)
    {
        DateTime utc = time.ToUniversalTime();
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
