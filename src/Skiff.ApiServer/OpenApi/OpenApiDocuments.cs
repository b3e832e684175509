using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI v3 documents behind <c>GET /openapi/v3</c> and <c>GET /openapi/v3/{api/v1|apis/group/version}</c>. kubectl needs them
/// for <c>--validate=strict</c> (create -f, apply, replace) and for <c>explain</c>. Each group-version document is generated on first
/// use and cached; the instance is thread-safe and never changes a document once built, so hashes stay stable.
/// </summary>
public sealed class OpenApiDocuments
{
    /// <summary>The info.version the documents claim; matches the version /version reports.</summary>
    public const string KubernetesVersion = "v1.32.0";

    private static readonly JsonSerializerOptions s_compact = new() { WriteIndented = false };

    private readonly FrozenDictionary<string, IReadOnlyList<ResourceInfo>> _byPath;
    private readonly IReadOnlyList<string> _order;
    private readonly Lazy<SchemaNames> _names;
    private readonly Lazy<ModelDocumentation> _docs;
    private readonly Func<Type, string, (string? Strategy, string? MergeKey)?>? _patchHints;
    private readonly ConcurrentDictionary<string, Lazy<GroupVersionDocument>> _documents = new(StringComparer.Ordinal);

    /// <summary>Creates the document set for a catalog.</summary>
    /// <param name="catalog">The served resources.</param>
    /// <param name="documentation">Descriptions; by default KubernetesClient.xml next to the models assembly, read on first use.</param>
    /// <param name="patchHints">
    /// Given a model type and a property's JSON name, the patch strategy and merge key to advertise as
    /// <c>x-kubernetes-patch-strategy</c> / <c>x-kubernetes-patch-merge-key</c>; null (the default) advertises none.
    /// </param>
    public OpenApiDocuments(
        ResourceCatalog catalog,
        ModelDocumentation? documentation = null,
        Func<Type, string, (string? Strategy, string? MergeKey)?>? patchHints = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var byPath = new Dictionary<string, List<ResourceInfo>>(StringComparer.Ordinal);
        var order = new List<string>();
        // Custom resources have documents of their own, built from their CRDs' schemas (CustomResourceOpenApi).
        foreach (ResourceInfo resource in catalog.Resources.Where(r => !r.IsCustom))
        {
            string path = PathOf(resource.Group, resource.Version);
            if (!byPath.TryGetValue(path, out List<ResourceInfo>? resources))
            {
                resources = [];
                byPath[path] = resources;
                order.Add(path);
            }

            resources.Add(resource);
        }

        _byPath = byPath.ToFrozenDictionary(p => p.Key, p => (IReadOnlyList<ResourceInfo>)p.Value.AsReadOnly(), StringComparer.Ordinal);
        _order = order.AsReadOnly();
        _names = new Lazy<SchemaNames>(() => new SchemaNames(typeof(V1Pod).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);
        _docs = new Lazy<ModelDocumentation>(
            () => documentation ?? ModelDocumentation.NextToAssembly(typeof(V1Pod).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);
        _patchHints = patchHints;
    }

    /// <summary>The group-version paths served, in discovery order ("api/v1", "apis/apps/v1", ...).</summary>
    public IReadOnlyList<string> Paths => _order;

    /// <summary>"api/v1" for core, "apis/apps/v1" otherwise.</summary>
    public static string PathOf(string group, string version)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";
    }

    /// <summary>
    /// The discovery document for <c>GET /openapi/v3</c>: every group-version with the URL kubectl follows, whose hash is the
    /// upper-case hex SHA-512 of that document's bytes (as upstream). Builds every document on first call. Returns a new object.
    /// </summary>
    public JsonObject Index()
    {
        var paths = new JsonObject();
        foreach (string path in _order)
        {
            GroupVersionDocument document = Document(path);
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={document.Hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document for "api/v1" or "apis/apps/v1"; false when the group-version is not served.</summary>
    /// <param name="groupVersionPath">The path after /openapi/v3/, without query; a leading '/' is ignored.</param>
    /// <param name="json">The UTF-8 JSON; shared, do not modify.</param>
    /// <param name="hash">The hash the index advertises, for ETag and cache headers.</param>
    public bool TryGetDocument(string groupVersionPath, out byte[] json, out string hash)
    {
        ArgumentNullException.ThrowIfNull(groupVersionPath);
        string path = groupVersionPath.TrimStart('/');
        if (!_byPath.ContainsKey(path))
        {
            json = [];
            hash = "";
            return false;
        }

        GroupVersionDocument document = Document(path);
        json = document.Json;
        hash = document.Hash;
        return true;
    }

    private GroupVersionDocument Document(string path) =>
        _documents.GetOrAdd(path, p => new Lazy<GroupVersionDocument>(() => Generate(p), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private GroupVersionDocument Generate(string path)
    {
        var schemas = new SchemaGenerator(_names.Value, _docs.Value, _patchHints);
        var paths = new PathGenerator(schemas);
        foreach (ResourceInfo resource in _byPath[path])
        {
            schemas.Ref(resource.ClrType);
            paths.Add(resource);
        }

        var document = new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = KubernetesVersion },
            ["paths"] = paths.Build(),
            ["components"] = new JsonObject { ["schemas"] = schemas.Build() },
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(document, s_compact);
        return new GroupVersionDocument(path, json, Convert.ToHexString(SHA512.HashData(json)));
    }
}
