using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Fakes;

/// <summary>FAKE for tests: a Filter plugin that asks a delegate; counts its calls.</summary>
internal sealed class FakeFilterPlugin(string name, Func<V1Pod, NodeInfo, PluginStatus> filter) : IFilterPlugin
{
    private int _calls;

    public string Name { get; } = name;

    public int Calls => Volatile.Read(ref _calls);

    public PluginStatus Filter(CycleState state, V1Pod pod, NodeInfo node)
    {
        Interlocked.Increment(ref _calls);
        return filter(pod, node);
    }
}
