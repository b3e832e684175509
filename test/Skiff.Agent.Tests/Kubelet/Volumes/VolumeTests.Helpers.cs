using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

public sealed partial class VolumeTests
{
    /// <summary>Runs <paramref name="script"/> in the pod's running "app" container through CRI ExecSync.</summary>
    private async Task<(string Out, int Code)> ExecAsync(V1Pod pod, string script, CancellationToken cancellationToken)
    {
        var cri = fixture.Node.Client;
        var filter = new ContainerFilter { LabelSelector = { ["io.kubernetes.pod.uid"] = pod.Metadata.Uid, ["io.kubernetes.container.name"] = "app" } };
        var listed = await cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, cri.Options(cancellationToken));
        Container container = listed.Containers.First(c => c.State == ContainerState.ContainerRunning);
        var result = await cri.Runtime.ExecSyncAsync(new ExecSyncRequest { ContainerId = container.Id, Cmd = { "sh", "-c", script }, Timeout = 10 }, cri.Options(cancellationToken));
        return (result.Stdout.ToStringUtf8(), result.ExitCode);
    }

    private Task<string> WaitForExecAsync(V1Pod pod, string script, string expected, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async ct => (await ExecAsync(pod, script, ct)).Out == expected ? "seen" : null, cancellationToken);

    private async Task DeletePodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: cancellationToken);
        await Poll.UntilAsync(async ct => await Poll.NullIfNotFoundAsync(() => Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: ct)) is null ? "gone" : null,
            cancellationToken);
    }

    private Task<V1Pod> WaitForPodAsync(V1Pod pod, Func<V1Pod, bool> done, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async ct => { V1Pod p = await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: ct); return done(p) ? p : null; }, cancellationToken);
}
