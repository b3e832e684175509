using System.Text.Json;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Store;

namespace Skiff.ApiServer.Admission;

/// <summary>Reads the objects admission plugins consult (namespaces, LimitRanges, quotas) straight from the store, which is
/// always current where a watch cache may lag behind a write the same client just made.</summary>
internal static class StoredObjects
{
    public static T Read<T>(KeyValue stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return JsonSerializer.Deserialize<T>(stored.Value.Span, SkiffJson.Options)
            ?? throw ApiErrors.Internal($"stored object {stored.Key} is not an object");
    }

    /// <summary>Every object under <paramref name="prefix"/>, with its store revision, page by page.</summary>
    public static async Task<List<(T Item, KeyValue Stored)>> ListAsync<T>(IRevisionedStore store, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var items = new List<(T, KeyValue)>();
        string? after = null;
        while (true)
        {
            ListResult page = await store.ListAsync(prefix, new ListOptions(StartAfter: after), cancellationToken);
            items.AddRange(page.Items.Select(kv => (Read<T>(kv), kv)));
            if (!page.More || page.Items.Count == 0)
            {
                return items;
            }

            after = page.Items[^1].Key;
        }
    }

    /// <summary>
    /// An admission refusal in upstream's shape, <c>&lt;resource&gt; "&lt;name&gt;" is forbidden: &lt;why&gt;</c> (403), for
    /// the request's resource and name (<see cref="ApiErrors.Forbidden(string, string, string?, string, k8s.Models.V1StatusCause[])"/>).
    /// </summary>
    public static StatusException Forbidden(AdmissionAttributes attributes, string why, params k8s.Models.V1StatusCause[] causes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return ApiErrors.Forbidden(attributes.Resource.Group, attributes.Resource.Plural, attributes.Name, why, causes);
    }
}
