using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Fakes;

/// <summary>FAKE for tests: a Score plugin that asks a delegate, with an optional normalization.</summary>
internal sealed class FakeScorePlugin(string name, Func<NodeInfo, long> score, Action<long[]>? normalize = null) : IScorePlugin
{
    public string Name { get; } = name;

    public long Score(CycleState state, V1Pod pod, NodeInfo node) => score(node);

    public void NormalizeScores(CycleState state, V1Pod pod, Span<long> scores)
    {
        if (normalize is null)
        {
            return;
        }

        long[] copy = scores.ToArray();
        normalize(copy);
        copy.CopyTo(scores);
    }
}
