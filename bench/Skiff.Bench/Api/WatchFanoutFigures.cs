namespace Skiff.Bench.Api;

/// <summary>Watch fan-out results: delivery latencies of the timed rounds (watchers × rounds expected) and the writes' own latency.</summary>
internal sealed record WatchFanoutFigures(int Watchers, int Rounds, TimeSpan OpenTime, Latency Delivery, Latency Acknowledge, int TimedOutRounds)
{
    public int Expected => Watchers * Rounds;
}
