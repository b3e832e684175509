using k8s.Models;
using Microsoft.AspNetCore.Http;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary>Container label the kubelet sets on every CRI container: the pod's uid.</summary>
    public const string PodUidLabel = "io.kubernetes.pod.uid";

    /// <summary><c>/exec/{ns}/{pod}/{container}</c> and <c>/attach/…</c>: resolve the runtime container, then hand over to the streaming handlers.</summary>
    private async Task ServeExecAsync(HttpContext context, bool attach)
    {
        string kind = attach ? "attach" : "exec";
        string containerName = (string)context.Request.RouteValues["container"]!;
        V1Pod? pod = FindPod(context);
        if (pod is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, "pod does not exist").ConfigureAwait(false);
            return;
        }

        string? containerId = await FindContainerIdAsync(pod.Metadata.Uid, containerName, context.RequestAborted).ConfigureAwait(false);
        if (containerId is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"container not found (\"{containerName}\")").ConfigureAwait(false);
            return;
        }

        KubeletServerLog.StreamRouted(_logger, kind, pod.Metadata.NamespaceProperty, pod.Metadata.Name, containerName, containerId);
        await _streaming.ExecAsync(context, containerId, attach, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>/portForward/{ns}/{pod}</c>: resolve the pod's ready sandbox, then hand over to the streaming handlers.</summary>
    private async Task ServePortForwardAsync(HttpContext context)
    {
        V1Pod? pod = FindPod(context);
        if (pod is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, "pod does not exist").ConfigureAwait(false);
            return;
        }

        var sandboxes = await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), _cri.Options(context.RequestAborted)).ConfigureAwait(false);
        PodSandbox? sandbox = sandboxes.Items.Where(s => s.Metadata?.Uid == pod.Metadata.Uid)
            .OrderByDescending(s => s.State == PodSandboxState.SandboxReady).ThenByDescending(s => s.CreatedAt).FirstOrDefault();
        if (sandbox is null)
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound, $"pod not found (\"{pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}\")").ConfigureAwait(false);
            return;
        }

        KubeletServerLog.PortForwardRouted(_logger, pod.Metadata.NamespaceProperty, pod.Metadata.Name, sandbox.Id);
        await _streaming.PortForwardAsync(context, sandbox.Id, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The pod's runtime container of that name: the running one, else the newest attempt; null when there is none.</summary>
    private async Task<string?> FindContainerIdAsync(string podUid, string containerName, CancellationToken cancellationToken)
    {
        var request = new ListContainersRequest { Filter = new ContainerFilter { LabelSelector = { [PodUidLabel] = podUid } } };
        var listed = await _cri.Runtime.ListContainersAsync(request, _cri.Options(cancellationToken)).ConfigureAwait(false);
        return listed.Containers.Where(c => c.Metadata?.Name == containerName)
            .OrderByDescending(c => c.State == ContainerState.ContainerRunning)
            .ThenByDescending(c => c.Metadata.Attempt)
            .ThenByDescending(c => c.CreatedAt)
            .Select(c => c.Id)
            .FirstOrDefault();
    }
}
