namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Events (core/v1 and events.k8s.io/v1) expire an hour after their last write, as upstream's --event-ttl.</summary>
internal sealed class EventStrategy : ResourceStrategy
{
    public override TimeSpan? TimeToLive => TimeSpan.FromHours(1);

    public override Func<string, string?> NameRule => Names.PathSegmentProblem;

    public override bool PreservesStatus => false;
}
