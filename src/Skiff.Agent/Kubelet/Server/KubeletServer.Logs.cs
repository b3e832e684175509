using Grpc.Core;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// <c>GET /containerLogs/{ns}/{pod}/{container}</c>: the container's CRI log file as text. Which run is read follows the
    /// pod's status as upstream's kubelet does: previous = lastState.terminated, else the running or terminated container.
    /// Errors are plain text with upstream's wording (404 for an unknown pod or container, 400 for the rest).
    /// </summary>
    private async Task ServeContainerLogsAsync(HttpContext context)
    {
        string containerName = (string)context.Request.RouteValues["container"]!;
        V1Pod? pod = FindPod(context);
        if (pod is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"pod \"{context.Request.RouteValues["pod"]}\" does not exist").ConfigureAwait(false);
            return;
        }

        string podName = pod.Metadata.Name;
        if (!PodHasContainer(pod, containerName))
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"container \"{containerName}\" not found in pod \"{podName}\"").ConfigureAwait(false);
            return;
        }

        ContainerLogOptions options = ContainerLogOptions.Parse(context.Request.Query, _time.GetUtcNow(), out string? invalid);
        if (invalid is not null)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, invalid).ConfigureAwait(false);
            return;
        }

        (string? containerId, string? error) = LogContainerId(pod, containerName, options.Previous);
        if (containerId is null)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, error ?? "no container").ConfigureAwait(false);
            return;
        }

        string logPath;
        try
        {
            var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, _cri.Options(context.RequestAborted))
                .ConfigureAwait(false);
            logPath = status.Status.LogPath;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, $"container \"{containerName}\" in pod \"{podName}\" is not available").ConfigureAwait(false);
            return;
        }

        FileStream file;
        try
        {
            file = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, $"failed to open log file \"{logPath}\" of container \"{containerName}\" in pod \"{podName}\": {e.Message}")
                .ConfigureAwait(false);
            return;
        }

        await using (file.ConfigureAwait(false))
        {
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain";
            await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
            var reader = new CriLogReader(file, context.Response.Body, options, _time);
            try
            {
                await reader.CopyAsync(ct => IsRunningAsync(containerId, ct), context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away (kubectl logs -f interrupted).
            }
        }
    }

    /// <summary>The runtime container whose log to read, from the pod's status (upstream's validateContainerLogStatus), or the error to answer.</summary>
    internal static (string? ContainerId, string? Error) LogContainerId(V1Pod pod, string containerName, bool previous)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string podName = pod.Metadata?.Name ?? "";
        V1ContainerStatus? status = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? [])
            .Concat(pod.Status?.EphemeralContainerStatuses ?? []).FirstOrDefault(s => s.Name == containerName);
        if (status is null)
        {
            return (null, $"container \"{containerName}\" in pod \"{podName}\" is not available");
        }

        V1ContainerStateTerminated? last = status.LastState?.Terminated;
        V1ContainerState? state = status.State;
        string? id;
        if (previous)
        {
            if (string.IsNullOrEmpty(last?.ContainerID))
            {
                return (null, $"previous terminated container \"{containerName}\" in pod \"{podName}\" not found");
            }

            id = last.ContainerID;
        }
        else if (state?.Running is not null)
        {
            id = status.ContainerID;
        }
        else if (state?.Terminated is { } terminated)
        {
            id = !string.IsNullOrEmpty(terminated.ContainerID) ? terminated.ContainerID : last?.ContainerID;
            if (string.IsNullOrEmpty(id))
            {
                return (null, $"container \"{containerName}\" in pod \"{podName}\" is terminated");
            }
        }
        else if (last is not null)
        {
            id = last.ContainerID;
        }
        else if (state?.Waiting is { } waiting)
        {
            string why = waiting.Reason switch
            {
                "ErrImagePull" => "image can't be pulled",
                "ImagePullBackOff" => "trying and failing to pull image",
                _ => waiting.Reason ?? "",
            };
            return (null, $"container \"{containerName}\" in pod \"{podName}\" is waiting to start: {why}");
        }
        else
        {
            return (null, $"container \"{containerName}\" in pod \"{podName}\" is not available");
        }

        if (string.IsNullOrEmpty(id))
        {
            return (null, $"container \"{containerName}\" in pod \"{podName}\" is not available");
        }

        // containerID is "<runtime>://<id>".
        int scheme = id.IndexOf("://", StringComparison.Ordinal);
        return (scheme >= 0 ? id[(scheme + 3)..] : id, null);
    }

    private async ValueTask<bool> IsRunningAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            var status = await _cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId }, _cri.Options(cancellationToken))
                .ConfigureAwait(false);
            return status.Status.State is ContainerState.ContainerRunning or ContainerState.ContainerCreated;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }

    private static bool PodHasContainer(V1Pod pod, string name) =>
        (pod.Spec?.Containers ?? []).Any(c => c.Name == name)
        || (pod.Spec?.InitContainers ?? []).Any(c => c.Name == name)
        || (pod.Spec?.EphemeralContainers ?? []).Any(c => c.Name == name);
}
