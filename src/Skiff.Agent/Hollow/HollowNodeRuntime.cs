using k8s.Models;
using Skiff.Agent.Kubelet;

namespace Skiff.Agent.Hollow;

/// <summary>
/// SIMULATION: the fake machine and runtime behind a hollow node, so the hollow nodes go through the real
/// <see cref="NodeRegistration"/> (Node object, status, Lease). Always ready, never under pressure, capacity as configured.
/// </summary>
internal sealed class HollowNodeRuntime : INodeRuntime
{
    private readonly NodeHostStats _host;
    private readonly string _name;

    public HollowNodeRuntime(HollowNodeOptions options, string name)
    {
        _name = name;
        long memory = (long)new ResourceQuantity(options.Memory).ToDecimal();
        long storage = 100L * 1024 * 1024 * 1024;
        int cpu = (int)Math.Ceiling(new ResourceQuantity(options.Cpu).ToDecimal());
        _host = new NodeHostStats(cpu, memory, memory, storage, storage, 4_194_304, 0);
    }

    public Task<string> VersionAsync(CancellationToken cancellationToken) => Task.FromResult("hollow://0");

    public Task<IReadOnlyList<string>> ReadinessErrorsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    public NodeHostStats ReadHost() => _host;

    public V1NodeSystemInfo SystemInfo() => new()
    {
        OperatingSystem = "linux",
        Architecture = "amd64",
        KernelVersion = "hollow",
        OsImage = "hollow (simulation)",
        MachineID = _name,
        SystemUUID = _name,
        BootID = _name,
        KubeProxyVersion = "",
    };
}
