using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Runtime.Cri;
using Skiff.Agent.Tests.Runtime;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

/// <summary>
/// Like <see cref="KubeletFixture"/> (a real <c>skiff server --disable-scheduler</c>, a real containerd with busybox, one
/// kubelet for node <c>lifecycle-test-&lt;hex&gt;</c>), with a 1 s crash-loop back-off base so restarts are quick, and
/// <see cref="RestartKubeletAsync"/> to stop the kubelet and start a new one on the same containerd. On dispose everything
/// it started stops (containerd by PID) and its bridge and dirs are removed.
/// </summary>
public sealed class LifecycleFixture : IAsyncLifetime
{
    public const string BusyboxImage = KubeletRig.BusyboxImage;

    private KubeletRig? _rig;
    private KubeletOptions? _options;

    public string NodeName => Rig.NodeName;

    public Kubernetes Client => Rig.Client;

    public KubeletOptions Options => _options ?? throw new InvalidOperationException("not started");

    internal ContainerdTestNode Node => Rig.Node;

    private KubeletRig Rig => _rig ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _rig = await KubeletRig.StartAsync("lifecycle-test", timeout.Token);
        _options = _rig.DefaultOptions() with { CrashLoopBackOffBase = TimeSpan.FromSeconds(1) };
        _rig.StartKubelet(_options);
    }

    /// <summary>Stops the kubelet (its containers keep running) and starts a new one with the same options and runtime.</summary>
    public async Task RestartKubeletAsync()
    {
        await Rig.StopKubeletAsync();
        Rig.StartKubelet(Options);
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    /// <summary>Creates a pod bound to this node in namespace default, named <paramref name="prefix"/>-&lt;hex&gt;.</summary>
    public Task<V1Pod> CreatePodAsync(string prefix, V1PodSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.NodeName = NodeName;
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = prefix + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6] }, Spec = spec };
        return Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cancellationToken);
    }

    public static V1Container Shell(string name, string script) =>
        new() { Name = name, Image = BusyboxImage, Command = ["sh", "-c", script] };

    public Task<V1Pod> WaitForPodAsync(V1Pod pod, Func<V1Pod, bool> done, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return WaitForAsync(async ct => await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: ct), done, cancellationToken);
    }

    public Task WaitForPodGoneAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return WaitForAsync(
            async ct =>
            {
                try
                {
                    await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: ct);
                    return null;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return "gone";
                }
            },
            _ => true,
            cancellationToken);
    }

    /// <summary>The CRI statuses of the pod's containers (every run still in the runtime), oldest first.</summary>
    internal async Task<List<ContainerStatus>> CriContainersAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var cri = Node.Client;
        var sandboxes = await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Options(cancellationToken));
        var ids = sandboxes.Items.Where(s => s.Metadata.Uid == pod.Metadata.Uid).Select(s => s.Id).ToHashSet();
        var containers = await cri.Runtime.ListContainersAsync(new ListContainersRequest(), cri.Options(cancellationToken));
        var result = new List<ContainerStatus>();
        foreach (var c in containers.Containers.Where(c => ids.Contains(c.PodSandboxId)).OrderBy(c => c.CreatedAt))
        {
            result.Add((await cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = c.Id }, cri.Options(cancellationToken))).Status);
        }

        return result;
    }

    public static Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T?>> read, Func<T, bool> done, CancellationToken cancellationToken)
        where T : class => Poll.UntilAsync(read, done, cancellationToken);
}
