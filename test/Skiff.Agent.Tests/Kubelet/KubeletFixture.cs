using k8s;
using Skiff.Agent.Tests.Runtime;

namespace Skiff.Agent.Tests.Kubelet;

/// <summary>
/// A <see cref="KubeletRig"/> with default options for node <c>kubelet-test-&lt;hex&gt;</c>: a real <c>skiff server</c>
/// without its scheduler, a real containerd with busybox, and the kubelet between them; everything stops on dispose.
/// </summary>
public sealed class KubeletFixture : IAsyncLifetime
{
    public const string BusyboxImage = KubeletRig.BusyboxImage;

    private KubeletRig? _rig;

    public string NodeName => Rig.NodeName;

    public string CgroupRoot => Rig.CgroupRoot;

    public Kubernetes Client => Rig.Client;

    internal ContainerdTestNode Node => Rig.Node;

    private KubeletRig Rig => _rig ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _rig = await KubeletRig.StartAsync("kubelet-test", timeout.Token);
        _rig.StartKubelet(_rig.DefaultOptions());
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }
}
