using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Queue;

/// <summary>The cluster events that arrive while pods are being scheduled, so a failed attempt does not miss the one that helps it.</summary>
public sealed partial class SchedulingQueue
{
    // Cluster events that arrived while pods were being scheduled, with the cycle current then: a pod whose attempt started
    // before an event that may help it missed that event, so it goes to backoffQ instead of waiting among the unschedulable
    // pods. Pruned to what in-flight pods can still miss; past the cap every failing in-flight pod is sent to backoffQ.
    private const int MaxEventsInFlight = 1024;
    private readonly List<(long Cycle, string Event)> _eventsInFlight = [];
    private long _overflowCycle = -1;

    private void RecordEventInFlightLocked(string eventName)
    {
        if (_inFlight.Count == 0)
        {
            _eventsInFlight.Clear();
            return;
        }

        if (_eventsInFlight.Count >= MaxEventsInFlight)
        {
            long oldest = _inFlight.Values.Min(p => p.SchedulingCycle);
            _eventsInFlight.RemoveAll(e => e.Cycle < oldest);
            if (_eventsInFlight.Count >= MaxEventsInFlight)
            {
                _eventsInFlight.Clear();
                _overflowCycle = _schedulingCycle;
                return;
            }
        }

        _eventsInFlight.Add((_schedulingCycle, eventName));
    }

    private bool MissedHelpfulEventLocked(QueuedPodInfo info)
    {
        if (_overflowCycle >= info.SchedulingCycle)
        {
            return true;
        }

        foreach ((long cycle, string eventName) in _eventsInFlight)
        {
            if (cycle >= info.SchedulingCycle && ClusterEvents.MayHelp(eventName, info.UnschedulablePlugins, _interests))
            {
                return true;
            }
        }

        return false;
    }
}
