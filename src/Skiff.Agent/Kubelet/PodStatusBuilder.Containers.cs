using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

internal static partial class PodStatusBuilder
{
    /// <summary>
    /// One container's status: the newest CRI container gives state, containerID, imageID and restartCount (its attempt);
    /// the run before it gives lastState. An exited container the sync holds back (CrashLoopBackOff) shows as waiting with
    /// the exit as lastState. A regular init container that exited 0 is ready; a running container is ready and started
    /// as its probes say.
    /// </summary>
    private static V1ContainerStatus ContainerStatusOf(V1Container container, PodRuntimeState state, bool hasInit, string restartPolicy, bool init)
    {
        var status = new V1ContainerStatus { Name = container.Name, Image = container.Image, ImageID = "", RestartCount = 0, Ready = false, Started = false };
        bool hasWaiting = state.Waiting.TryGetValue(container.Name, out var waiting);
        if (!state.Containers.TryGetValue(container.Name, out ContainerStatus? cri))
        {
            string reason = hasWaiting ? waiting.Reason : hasInit ? "PodInitializing" : "ContainerCreating";
            status.State = Waiting(reason, hasWaiting ? waiting.Message : "");
            return status;
        }

        status.ContainerID = ContainerId(cri);
        status.ImageID = string.IsNullOrEmpty(cri.ImageRef) ? "" : cri.ImageRef;
        status.RestartCount = (int)(cri.Metadata?.Attempt ?? 0);
        if (state.Previous.TryGetValue(container.Name, out ContainerStatus? previous) && previous.State == ContainerState.ContainerExited)
        {
            status.LastState = new V1ContainerState { Terminated = Terminated(previous, state) };
        }

        switch (cri.State)
        {
            case ContainerState.ContainerRunning:
                status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = FromNanos(cri.StartedAt) } };
                status.Started = state.Started.Contains(cri.Id);
                status.Ready = state.Ready.Contains(cri.Id);
                break;
            case ContainerState.ContainerExited when hasWaiting && WillRestart(restartPolicy, cri.ExitCode):
                // Held back before its restart: the exit moves to lastState, as upstream shows it.
                status.State = Waiting(waiting.Reason, waiting.Message);
                status.LastState = new V1ContainerState { Terminated = Terminated(cri, state) };
                break;
            case ContainerState.ContainerExited:
                status.State = new V1ContainerState { Terminated = Terminated(cri, state) };
                status.Ready = init && cri.ExitCode == 0;
                break;
            default:
                status.State = Waiting(hasWaiting ? waiting.Reason : "ContainerCreating", hasWaiting ? waiting.Message : "");
                break;
        }

        return status;
    }

    /// <summary>Whether restartPolicy restarts a container that exited with <paramref name="exitCode"/>.</summary>
    public static bool WillRestart(string restartPolicy, int exitCode) =>
        restartPolicy == "Always" || (restartPolicy == "OnFailure" && exitCode != 0);

    private static string ContainerId(ContainerStatus cri) => "containerd://" + cri.Id;

    private static V1ContainerState Waiting(string reason, string message) =>
        new() { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message.Length == 0 ? null : message } };

    private static V1ContainerStateTerminated Terminated(ContainerStatus cri, PodRuntimeState state) => new()
    {
        ExitCode = cri.ExitCode,
        Reason = string.IsNullOrEmpty(cri.Reason) ? (cri.ExitCode == 0 ? "Completed" : "Error") : cri.Reason,
        Message = state.TerminationMessages.TryGetValue(cri.Id, out string? message) ? message : string.IsNullOrEmpty(cri.Message) ? null : cri.Message,
        StartedAt = cri.StartedAt == 0 ? null : FromNanos(cri.StartedAt),
        FinishedAt = FromNanos(cri.FinishedAt),
        ContainerID = ContainerId(cri),
    };
}
