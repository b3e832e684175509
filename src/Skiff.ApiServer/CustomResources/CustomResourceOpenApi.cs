using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.OpenApi;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// The OpenAPI v3 group-version documents of custom resources, built from each served version's openAPIV3Schema (what
/// <c>kubectl explain</c> prints and what <c>--validate=strict</c> looks for: the kind's GVK extension and a PATCH operation with
/// the fieldValidation parameter). A document is rebuilt when the catalog changes, so a CRD's kind is in it at once.
/// </summary>
internal sealed class CustomResourceOpenApi
{
    private const string ObjectMetaRef = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

    // Strategic merge is not offered: custom resources accept json, merge and apply patches only.
    private static readonly string[] s_patchContentTypes = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];

    private readonly ResourceCatalog _catalog;
    private readonly ServedCustomResources _served;
    private readonly Lazy<SchemaNames> _names = new(() => new SchemaNames(typeof(V1Pod).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lazy<ModelDocumentation> _docs = new(() => ModelDocumentation.NextToAssembly(typeof(V1Pod).Assembly), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly ConcurrentDictionary<string, (long Generation, GroupVersionDocument Document)> _documents = new(StringComparer.Ordinal);

    public CustomResourceOpenApi(ResourceCatalog catalog, ServedCustomResources served)
    {
        _catalog = catalog;
        _served = served;
    }

    /// <summary>The group-version paths ("apis/group/version") custom resources are served at now.</summary>
    public IEnumerable<string> Paths() =>
        _catalog.Resources.Where(r => r.IsCustom).Select(r => OpenApiDocuments.PathOf(r.Group, r.Version)).Distinct();

    /// <summary>Adds each custom group-version to <c>/openapi/v3</c>'s index (built-in ones are already there).</summary>
    public void AddTo(JsonObject index)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index["paths"] is not JsonObject paths)
        {
            return;
        }

        foreach (string path in Paths())
        {
            if (paths[path] is null && TryGetDocument(path, out _, out string hash))
            {
                paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={hash}" };
            }
        }
    }

    /// <summary>The document of a custom group-version; false when none is served there.</summary>
    public bool TryGetDocument(string groupVersionPath, out byte[] json, out string hash)
    {
        ArgumentNullException.ThrowIfNull(groupVersionPath);
        string path = groupVersionPath.TrimStart('/');
        long generation = _catalog.Generation;
        ServedCustomResource[] versions = [.. _catalog.Resources
            .Where(r => r.IsCustom && OpenApiDocuments.PathOf(r.Group, r.Version) == path)
            .Select(_served.Find)
            .OfType<ServedCustomResource>()];
        if (versions.Length == 0)
        {
            (json, hash) = ([], string.Empty);
            return false;
        }

        if (!_documents.TryGetValue(path, out var cached) || cached.Generation != generation)
        {
            cached = (generation, Generate(path, versions));
            _documents[path] = cached;
        }

        (json, hash) = (cached.Document.Json, cached.Document.Hash);
        return true;
    }

    private GroupVersionDocument Generate(string path, IEnumerable<ServedCustomResource> versions)
    {
        var schemas = new SchemaGenerator(_names.Value, _docs.Value, patchHints: null);
        var paths = new JsonObject();
        var components = new JsonObject();
        string statusRef = schemas.Ref(typeof(V1Status));
        string deleteOptionsRef = schemas.Ref(typeof(V1DeleteOptions));
        string listMetaRef = schemas.Ref(typeof(V1ListMeta));
        string scaleRef = schemas.Ref(typeof(V1Scale));
        _ = schemas.Ref(typeof(V1ObjectMeta));
        foreach (ServedCustomResource version in versions)
        {
            ResourceInfo resource = version.Resource;
            string name = $"{ReversedGroup(resource.Group)}.{resource.Version}.{resource.Kind}";
            components[name] = KindSchema(version);
            string listName = $"{ReversedGroup(resource.Group)}.{resource.Version}.{resource.ListKind}";
            components[listName] = ListSchema(resource, name, listMetaRef);
            var ops = new Operations(resource, "#/components/schemas/" + name);
            string prefix = $"/apis/{resource.Group}/{resource.Version}";
            string collection = prefix + (resource.Namespaced ? "/namespaces/{namespace}/" : "/") + resource.Plural;
            string listRef = "#/components/schemas/" + listName;
            paths[collection] = ops.PathItem(named: false, resource.Namespaced,
                ("get", ops.Operation("list", "list", listRef, OpenApiParameters.List(), body: null)),
                ("post", ops.Operation("post", "create", ops.KindRef, OpenApiParameters.Write(), ops.KindRef)),
                ("delete", ops.Operation("deletecollection", "deletecollection", statusRef, OpenApiParameters.Delete().Concat(OpenApiParameters.List()), deleteOptionsRef)));
            if (resource.Namespaced)
            {
                paths[$"{prefix}/{resource.Plural}"] = ops.PathItem(named: false, namespaced: false,
                    ("get", ops.Operation("list", "list", listRef, OpenApiParameters.List(), body: null)));
            }

            paths[collection + "/{name}"] = ops.PathItem(named: true, resource.Namespaced, ops.ReadWrite(ops.KindRef, ops.Gvk)
                .Append(("delete", ops.Operation("delete", "delete", statusRef, OpenApiParameters.Delete(), deleteOptionsRef))).ToArray());
            if (version.HasStatus)
            {
                paths[collection + "/{name}/status"] = ops.PathItem(named: true, resource.Namespaced, [.. ops.ReadWrite(ops.KindRef, ops.Gvk)]);
            }

            if (version.Scale is not null)
            {
                var scaleGvk = new JsonObject { ["group"] = "autoscaling", ["kind"] = "Scale", ["version"] = "v1" };
                paths[collection + "/{name}/scale"] = ops.PathItem(named: true, resource.Namespaced, [.. ops.ReadWrite(scaleRef, scaleGvk)]);
            }
        }

        foreach ((string name, JsonNode? schema) in schemas.Build())
        {
            components[name] = schema?.DeepClone();
        }

        var document = new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes CRD Swagger", ["version"] = "v0.1.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = components },
        };
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(document);
        return new GroupVersionDocument(path, json, Convert.ToHexString(SHA512.HashData(json)));
    }

    /// <summary>The version's schema with upstream's additions: apiVersion, kind, metadata and the GVK extension.</summary>
    private static JsonObject KindSchema(ServedCustomResource version)
    {
        JsonObject schema = version.Schema.Schema?.DeepClone().AsObject()
            ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        if (schema["properties"] is not JsonObject properties)
        {
            properties = [];
            schema["properties"] = properties;
        }

        properties["apiVersion"] = new JsonObject
        {
            ["description"] = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
            ["type"] = "string",
        };
        properties["kind"] = new JsonObject
        {
            ["description"] = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            ["type"] = "string",
        };
        properties["metadata"] = new JsonObject
        {
            ["description"] = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
            ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = ObjectMetaRef }),
        };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(version.Resource.Group, version.Resource.Version, version.Resource.Kind));
        return schema;
    }

    private static JsonObject ListSchema(ResourceInfo resource, string itemName, string listMetaRef) => new()
    {
        ["description"] = $"{resource.ListKind} is a list of {resource.Kind}",
        ["type"] = "object",
        ["required"] = new JsonArray("items"),
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string" },
            ["items"] = new JsonObject
            {
                ["description"] = $"List of {resource.Plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                ["type"] = "array",
                ["items"] = new JsonObject { ["$ref"] = "#/components/schemas/" + itemName },
            },
            ["kind"] = new JsonObject { ["type"] = "string" },
            ["metadata"] = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = listMetaRef }) },
        },
        ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(resource.Group, resource.Version, resource.ListKind)),
    };

    /// <summary>"stable.example.com" → "com.example.stable", as upstream names CRD schemas.</summary>
    private static string ReversedGroup(string group) => string.Join('.', group.Split('.').Reverse());

    private static JsonObject Gvk(string group, string version, string kind) => new() { ["group"] = group, ["kind"] = kind, ["version"] = version };

    /// <summary>Operation objects of one resource.</summary>
    private sealed class Operations(ResourceInfo resource, string kindRef)
    {
        private readonly OperationNames _names = new(resource);

        public string KindRef => kindRef;

        public JsonObject Gvk { get; } = CustomResourceOpenApi.Gvk(resource.Group, resource.Version, resource.Kind);

        public IEnumerable<(string Method, JsonObject Operation)> ReadWrite(string reference, JsonObject gvk)
        {
            yield return ("get", Operation("get", "read", reference, [], body: null, gvk));
            yield return ("put", Operation("put", "replace", reference, OpenApiParameters.Write(), reference, gvk));
            var content = new JsonObject();
            foreach (string contentType in s_patchContentTypes)
            {
                content[contentType] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + SchemaGenerator.PatchName } };
            }

            JsonObject patch = Operation("patch", "patch", reference, OpenApiParameters.Patch(), body: null, gvk);
            patch["requestBody"] = new JsonObject { ["content"] = content, ["required"] = true };
            yield return ("patch", patch);
        }

        public JsonObject Operation(string action, string verb, string responseRef, IEnumerable<JsonObject> parameters, string? body, JsonObject? gvk = null)
        {
            var responseContent = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = responseRef } } };
            var operation = new JsonObject
            {
                ["tags"] = new JsonArray(_names.Tag),
                ["operationId"] = _names.OperationId(verb, (resource.Namespaced ? "Namespaced" : string.Empty) + resource.Kind),
                ["parameters"] = new JsonArray([.. parameters]),
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject { ["description"] = "OK", ["content"] = responseContent },
                    ["401"] = new JsonObject { ["description"] = "Unauthorized" },
                },
                ["x-kubernetes-action"] = action,
                ["x-kubernetes-group-version-kind"] = (gvk ?? Gvk).DeepClone(),
            };
            if (body is not null)
            {
                operation["requestBody"] = new JsonObject
                {
                    ["content"] = new JsonObject { ["*/*"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = body } } },
                    ["required"] = true,
                };
            }

            return operation;
        }

        public JsonObject PathItem(bool named, bool namespaced, params (string Method, JsonObject Operation)[] operations)
        {
            var parameters = new JsonArray();
            if (named)
            {
                parameters.Add(OpenApiParameters.Name(resource.Kind));
            }

            if (namespaced)
            {
                parameters.Add(OpenApiParameters.Namespace());
            }

            var item = new JsonObject { ["parameters"] = parameters };
            foreach ((string method, JsonObject operation) in operations)
            {
                item[method] = operation;
            }

            return item;
        }
    }
}
