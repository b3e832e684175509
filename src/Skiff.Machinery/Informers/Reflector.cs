using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Skiff.Machinery.Informers;

/// <summary>
/// Keeps a <see cref="SharedInformer{T}"/> in step with the server: list, then watch from the list's resourceVersion; when a
/// watch ends (the server's timeout, a dropped connection), watch again from the last resourceVersion seen; when the server
/// answers 410 Gone (that version left its window), list again. Failures back off on the TimeProvider.
/// </summary>
internal sealed partial class Reflector<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    internal const int MinWatchTimeoutSeconds = 5 * 60;
    internal const int MaxWatchTimeoutSeconds = 10 * 60;
    private static readonly TimeSpan s_initialBackoff = TimeSpan.FromMilliseconds(800);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_minWatchDuration = TimeSpan.FromSeconds(1);

    private readonly ListWatch<T> _listWatch;
    private readonly SharedInformer<T> _target;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly string _resource = typeof(T).Name;

    public Reflector(ListWatch<T> listWatch, SharedInformer<T> target, TimeProvider timeProvider, ILogger logger)
    {
        _listWatch = listWatch;
        _target = target;
        _timeProvider = timeProvider;
        _logger = logger;
        // Seeded per informer so that many clients started together do not all re-watch at the same instant.
        _random = new Random(HashCode.Combine(typeof(T).FullName, timeProvider.GetTimestamp(), target));
    }

    /// <summary>The resourceVersion the next watch resumes from, or null when the next step is a list.</summary>
    public string? LastResourceVersion { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        TimeSpan backoff = s_initialBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (LastResourceVersion is null)
                {
                    InformerList<T> list = await _listWatch.List(cancellationToken).ConfigureAwait(false);
                    _target.Replace(list.Items);
                    LastResourceVersion = list.ResourceVersion ?? string.Empty;
                    LogListed(_resource, list.Items.Count, LastResourceVersion);
                }

                long started = _timeProvider.GetTimestamp();
                (bool gone, int events) = await WatchOnceAsync(LastResourceVersion, cancellationToken).ConfigureAwait(false);
                if (gone)
                {
                    LogGone(_resource, LastResourceVersion);
                    LastResourceVersion = null;
                }
                else if (events == 0 && _timeProvider.GetElapsedTime(started) < s_minWatchDuration)
                {
                    // A watch that ends at once with nothing in it is a server refusing to watch; re-watching right away
                    // would spin, so it counts as a failure and backs off.
                    throw new InvalidOperationException("The watch ended immediately without events.");
                }

                backoff = s_initialBackoff;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsGone(ex))
            {
                LogGone(_resource, LastResourceVersion ?? string.Empty);
                LastResourceVersion = null;
            }
            catch (Exception ex)
            {
                // A failed list retries the list; a failed watch resumes from the last resourceVersion, which is still good.
                LogFailed(_resource, backoff.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(backoff, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = backoff * 2 > s_maxBackoff ? s_maxBackoff : backoff * 2;
            }
        }
    }

    internal static bool IsGone(Exception ex) => ex switch
    {
        KubernetesException { Status.Code: (int)HttpStatusCode.Gone } => true,
        HttpOperationException { Response.StatusCode: HttpStatusCode.Gone } => true,
        _ => false,
    };

    /// <summary>Runs one watch to its end; returns whether the server said the resourceVersion is gone, and how many events came.</summary>
    private async Task<(bool Gone, int Events)> WatchOnceAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        var request = new WatchRequest(
            resourceVersion,
            _random.Next(MinWatchTimeoutSeconds, MaxWatchTimeoutSeconds + 1),
            AllowWatchBookmarks: true);
        int events = 0;
        await foreach (InformerWatchEvent<T> e in _listWatch.Watch(request, cancellationToken).ConfigureAwait(false))
        {
            events++;
            switch (e.Type)
            {
                case WatchEventType.Error:
                    if (e.Status?.Code == (int)HttpStatusCode.Gone)
                    {
                        return (true, events);
                    }

                    // Any other ERROR leaves the stream's position unknown: back off, then list again rather than resume.
                    LastResourceVersion = null;
                    throw new KubernetesException(e.Status ?? new V1Status { Message = "The watch sent an ERROR event without a Status." });
                case WatchEventType.Bookmark:
                    break;
                case WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted when e.Item is not null:
                    _target.Apply(e.Type, e.Item);
                    break;
                default:
                    continue;
            }

            // Bookmarks exist only to move this forward, so that a resumed watch after a quiet period is not 410 Gone.
            string? seen = e.Item?.Metadata?.ResourceVersion;
            if (!string.IsNullOrEmpty(seen))
            {
                LastResourceVersion = seen;
            }
        }

        LogWatchEnded(_resource, LastResourceVersion ?? string.Empty);
        return (false, events);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Listed {Count} {Resource} at resourceVersion {ResourceVersion}.")]
    private partial void LogListed(string resource, int count, string resourceVersion);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "The {Resource} watch ended; watching again from resourceVersion {ResourceVersion}.")]
    private partial void LogWatchEnded(string resource, string resourceVersion);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "The {Resource} resourceVersion {ResourceVersion} is gone (410); listing again.")]
    private partial void LogGone(string resource, string resourceVersion);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Listing or watching {Resource} failed; retrying in {DelayMilliseconds} ms.")]
    private partial void LogFailed(string resource, double delayMilliseconds, Exception exception);
}
