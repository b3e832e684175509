using Prometheus;

namespace Skiff.ControlPlane.Instrumentation;

/// <summary>
/// kube-scheduler's main Prometheus metrics under upstream's names, so existing dashboards apply: attempts and their duration by
/// profile and result (scheduled, unschedulable, error; timed from the pop to the decision, the bind runs after), pending pods
/// per queue, and preemption attempts. They
/// live in the host's <see cref="CollectorRegistry"/>, which the API server serves at /metrics.
/// </summary>
public sealed class SchedulerMetrics
{
    public const string Scheduled = "scheduled";
    public const string Unschedulable = "unschedulable";
    public const string Error = "error";

    private readonly Counter _attempts;
    private readonly Histogram _attemptDuration;
    private readonly Gauge _pending;
    private readonly Counter _preemptionAttempts;
    private Func<(int Active, int Backoff, int Unschedulable, int Gated)>? _queueCounts;

    public SchedulerMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        MetricFactory factory = Metrics.WithCustomRegistry(registry);
        _attempts = factory.CreateCounter(
            "scheduler_schedule_attempts_total", "Number of attempts to schedule pods, by the result.", ["profile", "result"]);
        _attemptDuration = factory.CreateHistogram(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling attempt latency in seconds (scheduling algorithm, until the pod is assumed or fails)",
            ["profile", "result"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _pending = factory.CreateGauge("scheduler_pending_pods", "Number of pending pods, by the queue type.", ["queue"]);
        _preemptionAttempts = factory.CreateCounter("scheduler_preemption_attempts_total", "Total preemption attempts in the cluster till now");
        registry.AddBeforeCollectCallback(UpdatePending);
    }

    /// <summary>Counts one scheduling attempt of a pod by <paramref name="profile"/>.</summary>
    public void Attempted(string profile, string result, TimeSpan duration)
    {
        _attempts.WithLabels(profile, result).Inc();
        _attemptDuration.WithLabels(profile, result).Observe(duration.TotalSeconds);
    }

    /// <summary>Counts one preemption attempt (a PostFilter run for a pod that fit nowhere).</summary>
    public void PreemptionAttempted() => _preemptionAttempts.Inc();

    /// <summary>Where scheduler_pending_pods reads from: the current term's queue (null when not leading).</summary>
    public void ObserveQueue(Func<(int Active, int Backoff, int Unschedulable, int Gated)>? counts) => _queueCounts = counts;

    private void UpdatePending()
    {
        (int active, int backoff, int unschedulable, int gated) = _queueCounts?.Invoke() ?? (0, 0, 0, 0);
        _pending.WithLabels("active").Set(active);
        _pending.WithLabels("backoff").Set(backoff);
        _pending.WithLabels("unschedulable").Set(unschedulable);
        _pending.WithLabels("gated").Set(gated);
    }
}
