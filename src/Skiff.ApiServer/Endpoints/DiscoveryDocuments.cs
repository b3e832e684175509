using System.Text.Json.Nodes;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// Discovery in both shapes kubectl reads: aggregated (apidiscovery.k8s.io/v2, one request for everything) and legacy
/// (APIVersions, APIGroupList, APIResourceList per group-version). The aggregated documents are built from the catalog and
/// rebuilt when its generation moves (a CRD started or stopped being served); the legacy ones are built per request.
/// </summary>
internal sealed class DiscoveryDocuments
{
    public const string AggregatedMediaType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    private readonly ResourceCatalog _catalog;

    private volatile AggregatedDocuments? _aggregated;

    public DiscoveryDocuments(ResourceCatalog catalog)
    {
        _catalog = catalog;
    }

    public string AggregatedCore => Current().Core;

    public string AggregatedGroups => Current().Groups;

    /// <summary>True when the Accept header asks for aggregated discovery.</summary>
    public static bool WantsAggregated(string? accept) =>
        accept is not null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && accept.Contains("v=v2", StringComparison.Ordinal);

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (IGrouping<string, (string Group, string Version)> group in GroupsInOrder())
        {
            groups.Add(Group(group.Key, [.. group.Select(g => g.Version)]));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public JsonObject? GroupDocument(string group)
    {
        string[] versions = [.. _catalog.GroupVersions.Where(gv => gv.Group == group).Select(gv => gv.Version)];
        if (versions.Length == 0)
        {
            return null;
        }

        JsonObject document = Group(group, versions);
        document["kind"] = "APIGroup";
        document["apiVersion"] = "v1";
        return document;
    }

    /// <summary>The legacy APIResourceList for one group-version, or null when it is not served.</summary>
    public JsonObject? ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (ResourceInfo resource in _catalog.Resources.Where(r => r.Group == group && r.Version == version))
        {
            resources.Add(LegacyEntry(resource, resource.Plural, resource.Kind, resource.Verbs, withNames: true));
            foreach (string subresource in resource.Subresources)
            {
                (string kind, string[] verbs, string? subGroup, string? subVersion) = Subresource(resource, subresource);
                JsonObject entry = LegacyEntry(resource, $"{resource.Plural}/{subresource}", kind, verbs, withNames: false);
                if (subGroup is not null)
                {
                    entry["group"] = subGroup;
                    entry["version"] = subVersion;
                }

                resources.Add(entry);
            }
        }

        if (resources.Count == 0)
        {
            return null;
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = string.IsNullOrEmpty(group) ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    private IEnumerable<IGrouping<string, (string Group, string Version)>> GroupsInOrder() =>
        _catalog.GroupVersions.Where(gv => gv.Group.Length > 0).GroupBy(gv => gv.Group);

    private static JsonObject Group(string group, string[] versions)
    {
        var list = new JsonArray();
        foreach (string version in versions)
        {
            list.Add(new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    private static JsonObject LegacyEntry(ResourceInfo resource, string name, string kind, IReadOnlyList<string> verbs, bool withNames)
    {
        var entry = new JsonObject
        {
            ["name"] = name,
            ["singularName"] = withNames ? resource.Singular : string.Empty,
            ["namespaced"] = resource.Namespaced,
            ["kind"] = kind,
            ["verbs"] = new JsonArray([.. verbs.Select(v => JsonValue.Create(v))]),
        };
        if (withNames && resource.ShortNames.Count > 0)
        {
            entry["shortNames"] = new JsonArray([.. resource.ShortNames.Select(v => JsonValue.Create(v))]);
        }

        if (withNames && resource.Categories.Count > 0)
        {
            entry["categories"] = new JsonArray([.. resource.Categories.Select(v => JsonValue.Create(v))]);
        }

        return entry;
    }

    /// <summary>The kind and verbs of a subresource, and its group/version when the kind lives elsewhere (scale).</summary>
    private static (string Kind, string[] Verbs, string? Group, string? Version) Subresource(ResourceInfo resource, string subresource) => subresource switch
    {
        "status" => (resource.Kind, ["get", "patch", "update"], null, null),
        "scale" => ("Scale", ["get", "patch", "update"], "autoscaling", "v1"),
        "log" => ("Pod", ["get"], null, null),
        "exec" or "attach" or "portforward" => ("PodExecOptions", ["create", "get"], null, null),
        "proxy" => (resource.Kind == "Pod" ? "PodProxyOptions" : resource.Kind + "ProxyOptions", ["create", "delete", "get", "patch", "update"], null, null),
        "binding" => ("Binding", ["create"], null, null),
        "eviction" => ("Eviction", ["create"], "policy", "v1"),
        "token" => ("TokenRequest", ["create"], "authentication.k8s.io", "v1"),
        "ephemeralcontainers" or "resize" => (resource.Kind, ["get", "patch", "update"], null, null),
        "finalize" => (resource.Kind, ["update"], null, null),
        "approval" => (resource.Kind, ["get", "patch", "update"], null, null),
        _ => (resource.Kind, ["get"], null, null),
    };

    private AggregatedDocuments Current()
    {
        AggregatedDocuments? documents = _aggregated;
        long generation = _catalog.Generation;
        if (documents is null || documents.Generation != generation)
        {
            // Racing rebuilds produce equal documents; the last one stored wins, and readers never see a half-built one.
            documents = new AggregatedDocuments(generation, Aggregated(core: true).ToJsonString(), Aggregated(core: false).ToJsonString());
            _aggregated = documents;
        }

        return documents;
    }

    private sealed record AggregatedDocuments(long Generation, string Core, string Groups);

    private JsonObject Aggregated(bool core)
    {
        var items = new JsonArray();
        foreach (IGrouping<string, (string Group, string Version)> group in _catalog.GroupVersions.GroupBy(gv => gv.Group).Where(g => (g.Key.Length == 0) == core))
        {
            var versions = new JsonArray();
            foreach ((string groupName, string version) in group)
            {
                var resources = new JsonArray();
                foreach (ResourceInfo resource in _catalog.Resources.Where(r => r.Group == groupName && r.Version == version))
                {
                    resources.Add(AggregatedEntry(resource));
                }

                versions.Add(new JsonObject { ["version"] = version, ["resources"] = resources, ["freshness"] = "Current" });
            }

            items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = group.Key }, ["versions"] = versions });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    private static JsonObject AggregatedEntry(ResourceInfo resource)
    {
        var entry = new JsonObject
        {
            ["resource"] = resource.Plural,
            ["responseKind"] = new JsonObject { ["group"] = resource.Group, ["version"] = resource.Version, ["kind"] = resource.Kind },
            ["scope"] = resource.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = resource.Singular,
            ["verbs"] = new JsonArray([.. resource.Verbs.Select(v => JsonValue.Create(v))]),
        };
        if (resource.ShortNames.Count > 0)
        {
            entry["shortNames"] = new JsonArray([.. resource.ShortNames.Select(v => JsonValue.Create(v))]);
        }

        if (resource.Categories.Count > 0)
        {
            entry["categories"] = new JsonArray([.. resource.Categories.Select(v => JsonValue.Create(v))]);
        }

        if (resource.Subresources.Count > 0)
        {
            var subresources = new JsonArray();
            foreach (string subresource in resource.Subresources)
            {
                (string kind, string[] verbs, string? group, string? version) = Subresource(resource, subresource);
                subresources.Add(new JsonObject
                {
                    ["subresource"] = subresource,
                    ["responseKind"] = new JsonObject { ["group"] = group ?? resource.Group, ["version"] = version ?? resource.Version, ["kind"] = kind },
                    ["verbs"] = new JsonArray([.. verbs.Select(v => JsonValue.Create(v))]),
                });
            }

            entry["subresources"] = subresources;
        }

        return entry;
    }
}
