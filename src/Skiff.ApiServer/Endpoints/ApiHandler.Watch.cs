using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Selectors;
using Skiff.Store;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    private static readonly TimeSpan s_bookmarkInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Streams changes as newline-delimited JSON events, flushed one by one. resourceVersion "" or "0" starts with a synthetic
    /// ADDED per existing object; a number resumes after it from the cache's history, or ends with a 410 Expired event.
    /// An object that starts or stops matching the selectors is reported as ADDED or DELETED, as upstream does.
    /// </summary>
    private async Task WatchAsync(HttpContext context, RequestInfo request)
    {
        IQueryCollection query = context.Request.Query;
        (LabelSelector labels, FieldSelector fields) = Selectors(request.Resource, query);
        string? resourceVersion = query["resourceVersion"];
        bool bookmarks = QueryFlag.IsTrue(query["allowWatchBookmarks"]);
        bool table = Responses.WantsTable(context.Request);
        TimeSpan timeout = WatchTimeout(query["timeoutSeconds"]);
        string prefix = StorageKeys.ListPrefix(request.Resource, request.Namespace);
        ResourceBucket bucket = _cache.Bucket(request.Resource);

        List<CacheEvent> initial;
        CacheWatcher? watcher;
        if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
        {
            await _cache.Ready.WaitAsync(context.RequestAborted);
            watcher = bucket.WatchFromNow(prefix, request.Namespace, out List<CachedObject> current);
            initial = [.. current.Select(o => new CacheEvent(WatchEventType.Created, o, null))];
        }
        else
        {
            long after = ParseRevision(resourceVersion);
            await _cache.WaitForRevisionAsync(after, context.RequestAborted).WaitAsync(TimeSpan.FromSeconds(3), _timeProvider, context.RequestAborted);
            if (!bucket.TryWatch(request.Namespace, after, out watcher, out initial))
            {
                watcher.Dispose();
                watcher = null;
            }
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = table ? Responses.TableMediaType : Responses.JsonMediaType;
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(context.RequestAborted);
        var stream = new WatchStream(context, request.Resource, table, query["includeObject"], _printers, _timeProvider, json => _conversion.FromStorage(request.Resource, json));
        if (watcher is null)
        {
            await stream.WriteErrorAsync(ApiErrors.Gone($"too old resource version: {resourceVersion} ({_cache.Revision})"));
            return;
        }

        using (watcher)
        using (_metrics.TrackLongRunning(request.Verb, request.Resource))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(timeout);
            try
            {
                foreach (CacheEvent change in initial.Where(c => c.Object.Key.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    await stream.WriteAsync(change, labels, fields, deadline.Token);
                }

                await stream.FlushAsync(deadline.Token);
                while (!deadline.IsCancellationRequested)
                {
                    using var tick = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                    tick.CancelAfter(s_bookmarkInterval);
                    try
                    {
                        if (!await watcher.Reader.WaitToReadAsync(tick.Token))
                        {
                            // The cache closed this watcher (it fell behind, or the cache relisted): the client re-watches.
                            break;
                        }
                    }
                    catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
                    {
                        if (bookmarks)
                        {
                            await stream.WriteBookmarkAsync(_cache.Revision, deadline.Token);
                        }

                        continue;
                    }

                    while (watcher.Reader.TryRead(out CacheEvent? change))
                    {
                        if (change.Object.Key.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            await stream.WriteAsync(change, labels, fields, deadline.Token);
                        }
                    }

                    await stream.FlushAsync(deadline.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // Timeout or client gone: end the stream.
            }
        }
    }

    private static TimeSpan WatchTimeout(string? timeoutSeconds)
    {
        if (int.TryParse(timeoutSeconds, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        // Upstream closes watches after a random 30-60 minutes, so clients spread their reconnects.
        int spread = RandomNumberGenerator.GetInt32(1800);
        return TimeSpan.FromSeconds(1800 + spread);
    }

    /// <summary>Writes watch events to the response, as JSON objects or one-row Tables.</summary>
    private sealed class WatchStream(HttpContext context, ResourceInfo resource, bool table, string? includeObject, Tables.TablePrinters printers, TimeProvider time, Func<byte[], byte[]> convert)
    {
        private bool _columnsSent;

        public async Task WriteAsync(CacheEvent change, LabelSelector labels, FieldSelector fields, CancellationToken cancellationToken)
        {
            bool now = change.Type != WatchEventType.Deleted && Matches(change.Object, labels, fields);
            bool before = change.Previous is not null && Matches(change.Previous, labels, fields);
            string? type = change.Type switch
            {
                WatchEventType.Created => now ? "ADDED" : null,
                WatchEventType.Deleted => Matches(change.Object, labels, fields) ? "DELETED" : null,
                _ when now && before => "MODIFIED",
                _ when now => "ADDED",
                _ when before => "DELETED",
                _ => null,
            };
            if (type is not null)
            {
                await WriteEventAsync(type, convert(change.Object.Json), cancellationToken);
            }
        }

        public Task WriteBookmarkAsync(long revision, CancellationToken cancellationToken)
        {
            var bookmark = new JsonObject
            {
                ["kind"] = resource.Kind,
                ["apiVersion"] = resource.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            };
            return WriteNodeEventAsync("BOOKMARK", bookmark, cancellationToken);
        }

        public async Task WriteErrorAsync(StatusException error)
        {
            JsonNode status = JsonSerializer.SerializeToNode(error.Status, Machinery.Json.SkiffJson.Options)!;
            await WriteNodeEventAsync("ERROR", status, context.RequestAborted);
            await FlushAsync(context.RequestAborted);
        }

        public Task FlushAsync(CancellationToken cancellationToken) => context.Response.Body.FlushAsync(cancellationToken);

        private Task WriteEventAsync(string type, byte[] json, CancellationToken cancellationToken)
        {
            if (table)
            {
                JsonObject row = Responses.Table(resource, [JsonNode.Parse(json)!.AsObject()], null, null, includeObject, printers, time, includeColumns: !_columnsSent);
                _columnsSent = true;
                row["metadata"] = new JsonObject { ["resourceVersion"] = JsonNode.Parse(json)!["metadata"]?["resourceVersion"]?.DeepClone() };
                return WriteNodeEventAsync(type, row, cancellationToken);
            }

            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("type", type);
                writer.WritePropertyName("object");
                writer.WriteRawValue(json, skipInputValidation: true);
                writer.WriteEndObject();
            }

            buffer.WriteByte((byte)'\n');
            return context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).AsTask();
        }

        private Task WriteNodeEventAsync(string type, JsonNode item, CancellationToken cancellationToken)
        {
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["object"] = item.Parent is null ? item : item.DeepClone() });
            byte[] line = [.. bytes, (byte)'\n'];
            return context.Response.Body.WriteAsync(line, cancellationToken).AsTask();
        }

        private static bool Matches(CachedObject item, LabelSelector labels, FieldSelector fields) => labels.Matches(item.Labels) && fields.Matches(item.Fields);
    }
}
