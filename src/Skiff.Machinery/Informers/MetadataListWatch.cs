using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;
using Skiff.Machinery.Rest;

namespace Skiff.Machinery.Informers;

/// <summary>
/// A <see cref="ListWatch{T}"/> of <see cref="PartialObjectMetadata"/> for any resource of the <see cref="ResourceCatalog"/>,
/// across all namespaces, over raw REST: the objects are read as JSON and only apiVersion, kind and metadata are kept
/// (upstream's metadata informers). List items that come without apiVersion and kind get the resource's.
/// </summary>
public static class MetadataListWatch
{
    public static ListWatch<PartialObjectMetadata> For(IKubernetes client, ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(resource);
        string collection = RawRest.CollectionPath(resource, null);
        return new ListWatch<PartialObjectMetadata>(
            ct => ListAsync(client, resource, collection, ct),
            (request, ct) => WatchAsync(client, resource, collection, request, ct));
    }

    private static async Task<InformerList<PartialObjectMetadata>> ListAsync(IKubernetes client, ResourceInfo resource, string collection, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await RawRest.SendAsync(client, HttpMethod.Get, collection, null, cancellationToken).ConfigureAwait(false);
        await RawRest.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(body);
        var items = new List<PartialObjectMetadata>();
        if (document.RootElement.TryGetProperty("items", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                items.Add(Read(item, resource));
            }
        }

        string? resourceVersion = document.RootElement.TryGetProperty("metadata", out JsonElement meta)
            && meta.TryGetProperty("resourceVersion", out JsonElement rv) ? rv.GetString() : null;
        return new InformerList<PartialObjectMetadata>(items, resourceVersion);
    }

    private static async IAsyncEnumerable<InformerWatchEvent<PartialObjectMetadata>> WatchAsync(
        IKubernetes client,
        ResourceInfo resource,
        string collection,
        WatchRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string path = string.Create(
            CultureInfo.InvariantCulture,
            $"{collection}?watch=true&resourceVersion={Uri.EscapeDataString(request.ResourceVersion)}&timeoutSeconds={request.TimeoutSeconds}&allowWatchBookmarks={(request.AllowWatchBookmarks ? "true" : "false")}");
        using HttpResponseMessage response = await RawRest.SendAsync(client, HttpMethod.Get, path, null, cancellationToken, streaming: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            yield return new InformerWatchEvent<PartialObjectMetadata>(WatchEventType.Error, null, new V1Status { Code = (int)HttpStatusCode.Gone, Reason = "Expired" });
            yield break;
        }

        await RawRest.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                InformerWatchEvent<PartialObjectMetadata>? e = ParseEvent(line, resource);
                if (e is not null)
                {
                    yield return e;
                }
            }
        }
    }

    /// <summary>One line of a watch stream: <c>{"type":"ADDED","object":{…}}</c>; null for a type this informer does not know.</summary>
    internal static InformerWatchEvent<PartialObjectMetadata>? ParseEvent(string line, ResourceInfo resource)
    {
        using var document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        if (!root.TryGetProperty("type", out JsonElement typeElement)
            || !Enum.TryParse(typeElement.GetString(), ignoreCase: true, out WatchEventType type)
            || !root.TryGetProperty("object", out JsonElement obj))
        {
            return null;
        }

        return type == WatchEventType.Error
            ? new InformerWatchEvent<PartialObjectMetadata>(type, null, obj.Deserialize<V1Status>(SkiffJson.Options))
            : new InformerWatchEvent<PartialObjectMetadata>(type, Read(obj, resource));
    }

    private static PartialObjectMetadata Read(JsonElement item, ResourceInfo resource)
    {
        PartialObjectMetadata partial = item.Deserialize<PartialObjectMetadata>(SkiffJson.Options) ?? new PartialObjectMetadata();
        if (string.IsNullOrEmpty(partial.ApiVersion))
        {
            partial.ApiVersion = resource.ApiVersion;
        }

        if (string.IsNullOrEmpty(partial.Kind))
        {
            partial.Kind = resource.Kind;
        }

        partial.Metadata ??= new V1ObjectMeta();
        return partial;
    }
}
