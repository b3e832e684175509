using System.Collections.Concurrent;
using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling.Fakes;

/// <summary>FAKE for tests: records preemption's writes instead of making them.</summary>
internal sealed class FakePreemptionApi : IPreemptionApi
{
    public ConcurrentQueue<(string Preemptor, string Victim, string Node)> Preempted { get; } = new();

    public ConcurrentQueue<(string Pod, string Node)> Nominations { get; } = new();

    public Task PreemptAsync(V1Pod preemptor, V1Pod victim, string nodeName, CancellationToken cancellationToken)
    {
        Preempted.Enqueue((preemptor.Metadata.Name, victim.Metadata.Name, nodeName));
        return Task.CompletedTask;
    }

    public Task SetNominatedNodeNameAsync(V1Pod pod, string nodeName, CancellationToken cancellationToken)
    {
        Nominations.Enqueue((pod.Metadata.Name, nodeName));
        return Task.CompletedTask;
    }
}
