using System.Globalization;
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
    private const int ListFlushBytes = 64 * 1024;

    private async Task GetAsync(HttpContext context, RequestInfo request)
    {
        JsonObject item = await _registry.GetAsync(Storage(request), request.Namespace, request.Name!, context.RequestAborted);
        if (request.Subresource == "scale")
        {
            await Responses.WriteJsonAsync(context, Scale.From(request.Resource, item, CustomScale(request)), 200);
            return;
        }

        await Responses.WriteObjectAsync(context, request.Resource, Out(request, item), 200, _printers, _timeProvider);
    }

    private async Task ListAsync(HttpContext context, RequestInfo request)
    {
        IQueryCollection query = context.Request.Query;
        (LabelSelector labels, FieldSelector fields) = Selectors(request.Resource, query);
        int limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? l : 0;
        string? resourceVersion = query["resourceVersion"];
        string? match = query["resourceVersionMatch"];
        string? continueParameter = query["continue"];
        string prefix = StorageKeys.ListPrefix(request.Resource, request.Namespace);
        ResourceBucket bucket = _cache.Bucket(request.Resource);

        List<CachedObject> page;
        long revision;
        string? startAfter = null;
        ContinueToken? token = string.IsNullOrEmpty(continueParameter) ? null : ContinueToken.Decode(continueParameter);
        if (token is not null || (match == "Exact" && !string.IsNullOrEmpty(resourceVersion) && resourceVersion != "0"))
        {
            // A later page, or an exact old revision: read the store as of that revision, as upstream reads etcd.
            revision = token?.Revision ?? ParseRevision(resourceVersion!);
            startAfter = token?.StartAfter;
            page = await ReadStorePageAsync(request.Resource, prefix, revision, startAfter, labels, fields, limit, context.RequestAborted);
        }
        else
        {
            if (string.IsNullOrEmpty(resourceVersion))
            {
                await _cache.SyncAsync(context.RequestAborted);
            }
            else if (resourceVersion != "0")
            {
                await _cache.WaitForRevisionAsync(ParseRevision(resourceVersion), context.RequestAborted).WaitAsync(TimeSpan.FromSeconds(3), _timeProvider, context.RequestAborted);
            }
            else
            {
                await _cache.Ready.WaitAsync(context.RequestAborted);
            }

            revision = _cache.Revision;
            page = [.. bucket.Snapshot(prefix, null).Where(o => labels.Matches(o.Labels) && fields.Matches(o.Fields))];
        }

        string? next = null;
        if (limit > 0 && page.Count > limit)
        {
            page.RemoveRange(limit, page.Count - limit);
            next = new ContinueToken(revision, page[^1].Key).Encode();
        }

        string rv = revision.ToString(CultureInfo.InvariantCulture);
        if (Responses.WantsTable(context.Request))
        {
            IEnumerable<JsonObject> items = page.Select(o => Out(request, JsonNode.Parse(o.Json)!.AsObject()));
            JsonObject table = Responses.Table(request.Resource, items, rv, next, query["includeObject"], _printers, _timeProvider, includeColumns: true);
            await Responses.WriteJsonAsync(context, table, 200, Responses.TableMediaType);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = Responses.JsonMediaType;
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("kind", request.Resource.ListKind);
        writer.WriteString("apiVersion", request.Resource.ApiVersion);
        writer.WriteStartObject("metadata");
        writer.WriteString("resourceVersion", rv);
        if (next is not null)
        {
            writer.WriteString("continue", next);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("items");
        foreach (CachedObject item in page)
        {
            writer.WriteRawValue(_conversion.FromStorage(request.Resource, item.Json), skipInputValidation: true);
            // A Stream-backed Utf8JsonWriter buffers everything until it is flushed: without this a 10k-pod list (~14 MB) grew
            // one large-object-heap buffer by doubling, per request, before the first byte was sent.
            if (writer.BytesPending >= ListFlushBytes)
            {
                await writer.FlushAsync(context.RequestAborted);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary>Reads matching objects from the store as of <paramref name="revision"/>, one more than the limit.</summary>
    private async Task<List<CachedObject>> ReadStorePageAsync(ResourceInfo resource, string prefix, long revision, string? startAfter, LabelSelector labels, FieldSelector fields, int limit, CancellationToken cancellationToken)
    {
        var matches = new List<CachedObject>();
        string? after = startAfter;
        while (true)
        {
            ListResult stored;
            try
            {
                stored = await _store.ListAsync(prefix, new ListOptions(revision, Math.Max(limit, 500), after), cancellationToken);
            }
            catch (CompactedException)
            {
                throw new StatusException(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
            }

            foreach (KeyValue item in stored.Items)
            {
                CachedObject cached = ApiWatchCache.ToCached(resource, item.Key, item.Value.Span, item.ModRevision);
                if (labels.Matches(cached.Labels) && fields.Matches(cached.Fields))
                {
                    matches.Add(cached);
                }
            }

            if (!stored.More || (limit > 0 && matches.Count > limit) || stored.Items.Count == 0)
            {
                return matches;
            }

            after = stored.Items[^1].Key;
        }
    }

    private static (LabelSelector Labels, FieldSelector Fields) Selectors(ResourceInfo resource, IQueryCollection query)
    {
        LabelSelector labels = LabelSelector.Parse(query["labelSelector"]);
        FieldSelector fields = FieldSelector.Parse(query["fieldSelector"]);
        IReadOnlyList<string> supported = SelectableFields.For(resource);
        foreach (FieldRequirement requirement in fields.Requirements)
        {
            if (!supported.Contains(requirement.Field))
            {
                throw ApiErrors.BadRequest($"field label not supported: {requirement.Field}");
            }
        }

        return (labels, fields.MapFields(field => Conversion.VersionConversion.StorageField(resource, field)));
    }

    private static long ParseRevision(string resourceVersion) =>
        long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out long revision)
            ? revision
            : throw ApiErrors.BadRequest($"invalid resourceVersion \"{resourceVersion}\": it must be a number the server returned");
}
