using System.Text.Json;
using System.Text.Json.Nodes;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Conversion;

/// <summary>
/// Versions of one resource share storage, kept in the preferred version (autoscaling/v2 for HorizontalPodAutoscalers), as
/// upstream stores one version. Requests in another version are converted on the way in and out.
/// </summary>
internal sealed class VersionConversion(ResourceCatalog catalog)
{
    /// <summary>The version objects of this resource are stored in (the group's first-listed version).</summary>
    public ResourceInfo StorageFor(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.IsCustom)
        {
            // Versions of a custom resource share one key space; the write path stores the CRD's storage version itself
            // (conversion strategy None: only apiVersion differs), and reads rewrite apiVersion to the version asked for.
            return resource;
        }

        string group = IsEventsGroup(resource) ? string.Empty : resource.Group;
        return catalog.Resources.First(r => r.Group == group && r.Plural == resource.Plural);
    }

    /// <summary>A field selector path of <paramref name="resource"/> as the stored version names it.</summary>
    public static string StorageField(ResourceInfo resource, string field) => IsEventsGroup(resource) ? Events.CoreField(field) : field;

    private static bool IsEventsGroup(ResourceInfo resource) => resource.Group == "events.k8s.io" && resource.Plural == "events";

    public bool Converts(ResourceInfo resource) => !ReferenceEquals(StorageFor(resource), resource);

    /// <summary>A request body in <paramref name="resource"/>'s version, as the storage version.</summary>
    public JsonObject ToStorage(ResourceInfo resource, JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(item);
        if (!Converts(resource))
        {
            return item;
        }

        ResourceInfo storage = StorageFor(resource);
        JsonObject result = item.DeepClone().AsObject();
        if (resource.Kind == "HorizontalPodAutoscaler")
        {
            HorizontalPodAutoscalers.V1ToV2(result);
        }
        else if (IsEventsGroup(resource))
        {
            Events.ToCore(result);
        }

        if (result["apiVersion"] is not null)
        {
            result["apiVersion"] = storage.ApiVersion;
        }

        if (result["kind"] is not null)
        {
            result["kind"] = storage.Kind;
        }

        return result;
    }

    /// <summary>A stored object, in the version the request asked for.</summary>
    public JsonObject FromStorage(ResourceInfo resource, JsonObject item)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(item);
        if (resource.IsCustom)
        {
            return CustomFromStorage(resource, item);
        }

        if (!Converts(resource))
        {
            return item;
        }

        JsonObject result = item.DeepClone().AsObject();
        if (resource.Kind == "HorizontalPodAutoscaler")
        {
            HorizontalPodAutoscalers.V2ToV1(result);
        }
        else if (IsEventsGroup(resource))
        {
            Events.FromCore(result);
        }

        result["apiVersion"] = resource.ApiVersion;
        return result;
    }

    public byte[] FromStorage(ResourceInfo resource, byte[] json) =>
        Converts(resource) || (resource?.IsCustom ?? false) ? JsonSerializer.SerializeToUtf8Bytes(FromStorage(resource, JsonNode.Parse(json)!.AsObject())) : json;

    private static JsonObject CustomFromStorage(ResourceInfo resource, JsonObject item)
    {
        if (item["apiVersion"] is JsonValue stored && stored.TryGetValue(out string? apiVersion) && apiVersion == resource.ApiVersion)
        {
            return item;
        }

        JsonObject result = item.DeepClone().AsObject();
        result["apiVersion"] = resource.ApiVersion;
        return result;
    }
}
