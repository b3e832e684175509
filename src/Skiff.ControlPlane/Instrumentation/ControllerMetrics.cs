using Prometheus;
using Skiff.Machinery.Queues;

namespace Skiff.ControlPlane.Instrumentation;

/// <summary>
/// The controllers' Prometheus metrics: client-go's workqueue_* families (labelled by queue name, which is the controller
/// name, as kube-controller-manager does) and controller-runtime's reconcile counters, so existing dashboards apply. They
/// live in the host's <see cref="CollectorRegistry"/>, which the API server serves at /metrics.
/// </summary>
public sealed class ControllerMetrics
{
    private readonly Gauge _depth;
    private readonly Counter _adds;
    private readonly Histogram _queueDuration;
    private readonly Histogram _workDuration;
    private readonly Counter _retries;
    private readonly Counter _reconciles;
    private readonly Counter _reconcileErrors;

    public ControllerMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        MetricFactory factory = Metrics.WithCustomRegistry(registry);
        // client-go's buckets: 10 ns to 10 s, ten per decade step.
        double[] buckets = Histogram.ExponentialBuckets(1e-8, 10, 10);
        _depth = factory.CreateGauge("workqueue_depth", "Current depth of workqueue", ["name"]);
        _adds = factory.CreateCounter("workqueue_adds_total", "Total number of adds handled by workqueue", ["name"]);
        _queueDuration = factory.CreateHistogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested.",
            ["name"],
            new HistogramConfiguration { Buckets = buckets });
        _workDuration = factory.CreateHistogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes.",
            ["name"],
            new HistogramConfiguration { Buckets = buckets });
        _retries = factory.CreateCounter("workqueue_retries_total", "Total number of retries handled by workqueue", ["name"]);
        _reconciles = factory.CreateCounter(
            "controller_runtime_reconcile_total", "Total number of reconciliations per controller", ["controller", "result"]);
        _reconcileErrors = factory.CreateCounter(
            "controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", ["controller"]);
    }

    /// <summary>The hooks a controller's queue reports to.</summary>
    public IWorkQueueMetrics ForQueue(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new QueueMetrics(this, name);
    }

    /// <summary>Counts one reconcile of <paramref name="controller"/>.</summary>
    public void Reconciled(string controller, bool succeeded)
    {
        _reconciles.WithLabels(controller, succeeded ? "success" : "error").Inc();
        if (!succeeded)
        {
            _reconcileErrors.WithLabels(controller).Inc();
        }
    }

    private sealed class QueueMetrics(ControllerMetrics metrics, string name) : IWorkQueueMetrics
    {
        private readonly Gauge.Child _depth = metrics._depth.WithLabels(name);
        private readonly Counter.Child _adds = metrics._adds.WithLabels(name);
        private readonly Histogram.Child _queueDuration = metrics._queueDuration.WithLabels(name);
        private readonly Histogram.Child _workDuration = metrics._workDuration.WithLabels(name);
        private readonly Counter.Child _retries = metrics._retries.WithLabels(name);

        public void Added(int depth)
        {
            _adds.Inc();
            _depth.Set(depth);
        }

        public void Taken(int depth, TimeSpan waited)
        {
            _depth.Set(depth);
            _queueDuration.Observe(waited.TotalSeconds);
        }

        public void Finished(TimeSpan worked) => _workDuration.Observe(worked.TotalSeconds);

        public void Retried() => _retries.Inc();
    }
}
