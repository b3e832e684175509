using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Fakes;

/// <summary>FAKE for tests: a PreFilter plugin that returns a fixed status.</summary>
internal sealed class FakePreFilterPlugin(string name, PluginStatus status) : IPreFilterPlugin
{
    public string Name { get; } = name;

    public PluginStatus PreFilter(CycleState state, V1Pod pod, IClusterSnapshot snapshot) => status;
}
