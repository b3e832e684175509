using System.Globalization;
using Microsoft.AspNetCore.Http;
using Prometheus;
using Skiff.ApiServer.Endpoints;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Instrumentation;

/// <summary>
/// The API server's Prometheus metrics, named and labelled as kube-apiserver's so existing dashboards and alerts apply. Every
/// label value comes from a bounded set (catalog resources, verbs, status codes); names and namespaces never become labels.
/// The metrics live in the <see cref="CollectorRegistry"/> from DI, not prometheus-net's static default registry.
/// </summary>
internal sealed class ApiServerMetrics
{
    private readonly TimeProvider _timeProvider;
    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Gauge _longRunning;
    private readonly Gauge _registeredWatchers;
    private readonly Gauge _storageObjects;
    private readonly Gauge _watchCacheJsonBytes;
    private readonly Gauge _watchCacheBytes;
    private readonly Histogram _storeDuration;
    private readonly Histogram _webhookDuration;
    private readonly Counter _auditErrors;

    public ApiServerMetrics(CollectorRegistry registry, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _timeProvider = timeProvider;
        MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _requests = factory.CreateCounter(
            "apiserver_request_total",
            "Counter of apiserver requests broken out for each verb, API group, version, resource, subresource and HTTP response code.",
            ["verb", "group", "version", "resource", "subresource", "code"]);
        _requestDuration = factory.CreateHistogram(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, group, version, resource and subresource.",
            ["verb", "group", "version", "resource", "subresource"],
            new HistogramConfiguration { Buckets = LatencyBuckets() });
        _longRunning = factory.CreateGauge(
            "apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests (watches) broken out by verb, group and resource.",
            ["verb", "group", "resource"]);
        _registeredWatchers = factory.CreateGauge(
            "apiserver_registered_watchers",
            "Number of currently registered watchers for a given resource.",
            ["group", "version", "kind"]);
        _storageObjects = factory.CreateGauge(
            "apiserver_storage_objects",
            "Number of stored objects at the time of last check split by kind.",
            ["resource"]);
        _watchCacheJsonBytes = factory.CreateGauge(
            "skiff_watch_cache_json_bytes",
            "Bytes of object JSON the API server's watch cache holds, by resource.",
            ["resource"]);
        _watchCacheBytes = factory.CreateGauge(
            "skiff_watch_cache_bytes",
            "Estimated memory of the watch cache's entries (the JSON plus the per-object index, labels and selectable fields), by resource.",
            ["resource"]);
        _storeDuration = factory.CreateHistogram(
            "etcd_request_duration_seconds",
            "Store request latency in seconds for each operation and object type.",
            ["operation", "type"],
            new HistogramConfiguration { Buckets = LatencyBuckets() });
        _webhookDuration = factory.CreateHistogram(
            "apiserver_admission_webhook_admission_duration_seconds",
            "Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).",
            ["name", "type", "operation", "rejected"],
            new HistogramConfiguration { Buckets = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25] });
        _auditErrors = factory.CreateCounter(
            "apiserver_audit_error_total",
            "Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.",
            ["plugin"]);
    }

    /// <summary>A timestamp to pass back to the Observe methods.</summary>
    public long Start() => _timeProvider.GetTimestamp();

    /// <summary>Runs a handler and counts its request with the labels its <see cref="RequestInfo"/> (if it parsed one) gives.</summary>
    public async Task InstrumentAsync(HttpContext context, Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        long started = Start();
        bool completed = false;
        try
        {
            await handler(context);
            completed = true;
        }
        finally
        {
            // An exception that escapes the handler becomes a 500 from the host, unless the response had already begun.
            int code = completed || context.Response.HasStarted ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
            ObserveRequest(context, code, started);
        }
    }

    /// <summary>Counts an open watch until the returned handle is disposed.</summary>
    public IDisposable TrackLongRunning(string verb, ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        Gauge.Child child = _longRunning.WithLabels(verb, resource.Group, resource.Plural);
        child.Inc();
        return new Decrement(child);
    }

    public void ObserveStore(string operation, string type, long started) =>
        _storeDuration.WithLabels(operation, type).Observe(_timeProvider.GetElapsedTime(started).TotalSeconds);

    /// <summary>One admission webhook call; <paramref name="type"/> is "admit" or "validating", as upstream labels them.</summary>
    public void ObserveWebhook(string name, string type, string operation, bool rejected, long started) =>
        _webhookDuration.WithLabels(name, type, operation, rejected ? "true" : "false").Observe(_timeProvider.GetElapsedTime(started).TotalSeconds);

    /// <summary>Audit events the log backend lost (queue full, or the file could not be written).</summary>
    public void CountAuditErrors(long events) => _auditErrors.WithLabels("log").Inc(events);

    public void SetRegisteredWatchers(ResourceInfo resource, int watchers)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _registeredWatchers.WithLabels(resource.Group, resource.Version, resource.Kind).Set(watchers);
    }

    public void SetWatchCacheSize(ResourceInfo resource, long jsonBytes, long approximateBytes)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _watchCacheJsonBytes.WithLabels(resource.QualifiedName).Set(jsonBytes);
        _watchCacheBytes.WithLabels(resource.QualifiedName).Set(approximateBytes);
    }

    public void SetStorageObjects(ResourceInfo resource, int objects)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _storageObjects.WithLabels(resource.QualifiedName).Set(objects);
    }

    private void ObserveRequest(HttpContext context, int code, long started)
    {
        string verb;
        string group = string.Empty;
        string version = string.Empty;
        string resource = string.Empty;
        string subresource = string.Empty;
        if (context.Items.TryGetValue(typeof(RequestInfo), out object? parsed) && parsed is RequestInfo request)
        {
            // Upstream's label values: LIST and WATCH by name, other requests by their HTTP method.
            verb = request.Verb switch
            {
                "get" => "GET",
                "list" => "LIST",
                "watch" => "WATCH",
                "create" => "POST",
                "update" => "PUT",
                "patch" => "PATCH",
                "delete" or "deletecollection" => "DELETE",
                _ => "OTHER",
            };
            group = request.Resource.Group;
            version = request.Resource.Version;
            resource = request.Resource.Plural;
            subresource = request.Subresource ?? string.Empty;
        }
        else
        {
            // Discovery, OpenAPI and /metrics: no resource, and the method from a fixed set (the path is not a label).
            verb = NonResourceVerb(context.Request.Method);
        }

        _requests.WithLabels(verb, group, version, resource, subresource, code.ToString(CultureInfo.InvariantCulture)).Inc();
        _requestDuration.WithLabels(verb, group, version, resource, subresource).Observe(_timeProvider.GetElapsedTime(started).TotalSeconds);
    }

    private static string NonResourceVerb(string method) => method is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS" ? method : "OTHER";

    // kube-apiserver's buckets for apiserver_request_duration_seconds and etcd_request_duration_seconds.
    private static double[] LatencyBuckets() =>
        [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

    private sealed class Decrement(Gauge.Child child) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                child.Dec();
            }
        }
    }
}
