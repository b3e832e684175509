using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Events;

/// <summary>
/// Writes core/v1 Events through the API from one background pump, so a controller's reconcile never waits on them. A repeat
/// of the same (object, type, reason, message) within <see cref="AggregationWindow"/> bumps the existing Event's count and
/// lastTimestamp instead of creating another (upstream's correlator, without its spam filter). When the queue is full,
/// events are dropped, as upstream's broadcaster does.
/// </summary>
public sealed partial class EventRecorder : IEventRecorder, IDisposable
{
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromMinutes(10);
    private const int QueueCapacity = 10_000;
    private const int RememberedEvents = 4_096;

    private readonly IKubernetes _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<EventRecorder> _logger;
    private readonly string _component;
    private readonly string _instance;
    private readonly Channel<Corev1Event> _queue = Channel.CreateBounded<Corev1Event>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<string, Recorded> _recent = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pump;
    private int _writing;

    public EventRecorder(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        TimeProvider timeProvider,
        ILogger<EventRecorder> logger,
        string component = "skiff-controller-manager",
        string? instance = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
        _component = component;
        _instance = instance ?? Environment.MachineName;
        _pump = Task.Run(() => PumpAsync(_stopping.Token));
    }

    public void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message) =>
        Record(regarding, type, reason, message, _component);

    public IEventRecorder ForComponent(string component)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        return new ComponentRecorder(this, component);
    }

    private void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message, string component)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        KubernetesEntityAttribute? entity = regarding.GetType().GetCustomAttribute<KubernetesEntityAttribute>();
        string apiVersion = regarding.ApiVersion ?? (entity is null ? "v1" : string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : entity.Group + "/" + entity.ApiVersion);
        string kind = regarding.Kind ?? entity?.Kind ?? regarding.GetType().Name;
        DateTime now = _timeProvider.GetUtcNow().UtcDateTime;
        V1ObjectMeta meta = regarding.Metadata;
        string @namespace = string.IsNullOrEmpty(meta.NamespaceProperty) ? "default" : meta.NamespaceProperty;
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta
            {
                Name = meta.Name + "." + (now.Ticks * 100).ToString("x", CultureInfo.InvariantCulture),
                NamespaceProperty = @namespace,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = apiVersion,
                Kind = kind,
                Name = meta.Name,
                NamespaceProperty = meta.NamespaceProperty,
                Uid = meta.Uid,
                ResourceVersion = meta.ResourceVersion,
            },
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            ReportingInstance = _instance,
        };
        if (!_queue.Writer.TryWrite(ev))
        {
            LogDropped(_logger, kind, meta.Name, reason);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        try
        {
            _pump.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The pump ends with the cancellation.
        }

        _stopping.Dispose();
    }

    /// <summary>Completes once every event recorded so far was written or given up on; for tests.</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _writing) > 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out Corev1Event? ev))
                {
                    Interlocked.Increment(ref _writing);
                    try
                    {
                        await WriteAsync(ev, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception failure)
                    {
                        // Events are best-effort: a failed write is logged and forgotten, never retried forever.
                        LogWriteFailed(_logger, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, failure);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _writing);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task WriteAsync(Corev1Event ev, CancellationToken cancellationToken)
    {
        string key = string.Join('\u0000', ev.InvolvedObject.Uid ?? ev.InvolvedObject.Name, ev.Type, ev.Reason, ev.Message);
        DateTime now = ev.LastTimestamp ?? _timeProvider.GetUtcNow().UtcDateTime;
        if (_recent.TryGetValue(key, out Recorded? previous) && now - previous.Last < AggregationWindow)
        {
            int count = previous.Count + 1;
            var patch = new V1Patch(
                "{\"count\":" + count.ToString(CultureInfo.InvariantCulture) + ",\"lastTimestamp\":\"" + now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "\"}",
                V1Patch.PatchType.MergePatch);
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(patch, previous.Name, previous.Namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
                _recent[key] = previous with { Count = count, Last = now };
                return;
            }
            catch (k8s.Autorest.HttpOperationException notFound) when (notFound.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The earlier Event expired or was deleted: record a fresh one.
            }
        }

        Corev1Event created = await _client.CoreV1.CreateNamespacedEventAsync(ev, ev.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (_recent.Count >= RememberedEvents)
        {
            _recent.Clear();
        }

        _recent[key] = new Recorded(created.Metadata.Name, created.Metadata.NamespaceProperty, 1, now);
    }

    private sealed class ComponentRecorder(EventRecorder shared, string component) : IEventRecorder
    {
        public void Record(IKubernetesObject<V1ObjectMeta> regarding, string type, string reason, string message) =>
            shared.Record(regarding, type, reason, message, component);

        public IEventRecorder ForComponent(string other) => shared.ForComponent(other);
    }

    private sealed record Recorded(string Name, string Namespace, int Count, DateTime Last);

    [LoggerMessage(EventId = 6051, Level = LogLevel.Warning, Message = "Dropped the {Reason} event for {Kind} {Name}: the event queue is full.")]
    private static partial void LogDropped(ILogger logger, string kind, string name, string reason);

    [LoggerMessage(EventId = 6052, Level = LogLevel.Debug, Message = "Could not write the {Reason} event for {Kind} {Name}.")]
    private static partial void LogWriteFailed(ILogger logger, string kind, string name, string reason, Exception exception);
}
