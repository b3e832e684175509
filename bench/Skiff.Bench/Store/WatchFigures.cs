namespace Skiff.Bench.Store;

/// <summary>
/// Watch fan-out figures. <c>Expected</c> is watchers × events, the deliveries a complete run makes; <c>Delivery</c> runs from just
/// before the writer's Create call to the event reaching a watcher, once per watcher and event; <c>Acknowledge</c> is the writer's
/// Create latency in the same phase, to tell commit time from fan-out time.
/// </summary>
internal sealed record WatchFigures(int Watchers, int Events, long Expected, Latency Delivery, Latency Acknowledge)
{
    public bool Complete => Delivery.Count == Expected;
}
