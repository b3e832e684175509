using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// Builds the <c>paths</c> of one group-version document: collection and item paths per resource (namespaced and cluster-wide),
/// the <c>status</c> and <c>scale</c> subresources, with upstream's operation ids, actions and GVK extensions.
/// </summary>
internal sealed class PathGenerator
{
    // No strategic-merge-patch here on purpose: when v3 lists it, kubectl computes client-side apply patches from these schemas,
    // which lack patch strategies; without it kubectl silently uses its compiled-in types (KUBECTL.md §0.8).
    private static readonly string[] s_patchContentTypes = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"];
    private static readonly string[] s_responseContentTypes = ["application/json", "application/yaml"];

    private readonly SchemaGenerator _schemas;
    private readonly SortedDictionary<string, JsonObject> _paths = new(StringComparer.Ordinal);

    public PathGenerator(SchemaGenerator schemas) => _schemas = schemas;

    /// <summary>The paths added so far, sorted. Call once: the nodes move into the result.</summary>
    public JsonObject Build()
    {
        var result = new JsonObject();
        foreach ((string path, JsonObject item) in _paths)
        {
            result[path] = item;
        }

        return result;
    }

    public void Add(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string prefix = resource.Group.Length == 0 ? $"/api/{resource.Version}" : $"/apis/{resource.Group}/{resource.Version}";
        string scope = resource.Namespaced ? "Namespaced" : "";
        string collection = prefix + (resource.Namespaced ? "/namespaces/{namespace}/" : "/") + resource.Plural;
        string item = collection + "/{name}";
        var names = new OperationNames(resource);
        JsonObject gvk = Gvk(resource.Group, resource.Version, resource.Kind);

        JsonObject collectionPath = PathItem(resource, named: false);
        if (Can(resource, "list") && resource.ListClrType is { } listType)
        {
            collectionPath["get"] = Operation(names, "list", "list", $"{scope}{resource.Kind}", $"list or watch objects of kind {resource.Kind}", gvk,
                OpenApiParameters.List(), body: null, Responses(listType, "200"));
            if (resource.Namespaced)
            {
                JsonObject all = PathItem(resource, named: false, namespaced: false);
                all["get"] = Operation(names, "list", "list", $"{resource.Kind}ForAllNamespaces", $"list or watch objects of kind {resource.Kind}", gvk,
                    OpenApiParameters.List(), body: null, Responses(listType, "200"));
                _paths[$"{prefix}/{resource.Plural}"] = all;
            }
        }

        if (Can(resource, "create"))
        {
            collectionPath["post"] = Operation(names, "post", "create", $"{scope}{resource.Kind}", $"create a {resource.Kind}", gvk,
                OpenApiParameters.Write(), JsonBody(resource.ClrType), Responses(resource.ClrType, "200", "201", "202"));
        }

        if (Can(resource, "deletecollection"))
        {
            collectionPath["delete"] = Operation(names, "deletecollection", "delete", $"Collection{scope}{resource.Kind}",
                $"delete collection of {resource.Kind}", gvk, OpenApiParameters.Delete().Concat(OpenApiParameters.List()),
                JsonBody(typeof(V1DeleteOptions)), Responses(typeof(V1Status), "200"));
        }

        _paths[collection] = collectionPath;
        if (Can(resource, "get") || Can(resource, "update") || Can(resource, "patch") || Can(resource, "delete"))
        {
            JsonObject itemPath = PathItem(resource, named: true);
            AddReadWrite(itemPath, names, $"{scope}{resource.Kind}", "the specified " + resource.Kind, resource, resource.ClrType, gvk);
            if (Can(resource, "delete"))
            {
                itemPath["delete"] = Operation(names, "delete", "delete", $"{scope}{resource.Kind}", $"delete a {resource.Kind}", gvk,
                    OpenApiParameters.Delete(), JsonBody(typeof(V1DeleteOptions)), Responses(typeof(V1Status), "200", "202"));
            }

            _paths[item] = itemPath;
        }

        if (resource.HasSubresource("status"))
        {
            JsonObject statusPath = PathItem(resource, named: true);
            AddReadWrite(statusPath, names, $"{scope}{resource.Kind}Status", $"status of the specified {resource.Kind}", resource, resource.ClrType, gvk);
            _paths[item + "/status"] = statusPath;
        }

        if (resource.HasSubresource("scale"))
        {
            JsonObject scalePath = PathItem(resource, named: true);
            AddReadWrite(scalePath, names, $"{scope}{resource.Kind}Scale", $"scale of the specified {resource.Kind}", resource, typeof(V1Scale),
                Gvk("autoscaling", "v1", "Scale"));
            _paths[item + "/scale"] = scalePath;
        }
    }

    private void AddReadWrite(JsonObject path, OperationNames names, string suffix, string what, ResourceInfo resource, Type type, JsonObject gvk)
    {
        if (Can(resource, "get"))
        {
            path["get"] = Operation(names, "get", "read", suffix, "read " + what, gvk, [], body: null, Responses(type, "200"));
        }

        if (Can(resource, "update"))
        {
            path["put"] = Operation(names, "put", "replace", suffix, "replace " + what, gvk,
                OpenApiParameters.Write(), JsonBody(type), Responses(type, "200", "201"));
        }

        if (Can(resource, "patch"))
        {
            var content = new JsonObject();
            foreach (string contentType in s_patchContentTypes)
            {
                content[contentType] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/" + SchemaGenerator.PatchName } };
            }

            path["patch"] = Operation(names, "patch", "patch", suffix, "partially update " + what, gvk,
                OpenApiParameters.Patch(), new JsonObject { ["content"] = content, ["required"] = true }, Responses(type, "200", "201"));
        }
    }

    private static bool Can(ResourceInfo resource, string verb) => resource.Verbs.Contains(verb);

    private static JsonObject PathItem(ResourceInfo resource, bool named, bool? namespaced = null)
    {
        var parameters = new JsonArray();
        if (named)
        {
            parameters.Add(OpenApiParameters.Name(resource.Kind));
        }

        if (namespaced ?? resource.Namespaced)
        {
            parameters.Add(OpenApiParameters.Namespace());
        }

        parameters.Add(OpenApiParameters.Pretty());
        return new JsonObject { ["parameters"] = parameters };
    }

    private static JsonObject Operation(
        OperationNames names,
        string action,
        string verb,
        string target,
        string description,
        JsonObject gvk,
        IEnumerable<JsonObject> parameters,
        JsonObject? body,
        JsonObject responses)
    {
        var operation = new JsonObject
        {
            ["tags"] = new JsonArray(names.Tag),
            ["description"] = description,
            ["operationId"] = names.OperationId(verb, target),
        };
        JsonArray parameterArray = [.. parameters];
        if (parameterArray.Count > 0)
        {
            operation["parameters"] = parameterArray;
        }

        if (body is not null)
        {
            operation["requestBody"] = body;
        }

        operation["responses"] = responses;
        operation["x-kubernetes-action"] = action;
        operation["x-kubernetes-group-version-kind"] = gvk.DeepClone();
        return operation;
    }

    private JsonObject JsonBody(Type type) => new()
    {
        ["content"] = new JsonObject { ["*/*"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = _schemas.Ref(type) } } },
        ["required"] = true,
    };

    private JsonObject Responses(Type type, params string[] codes)
    {
        string reference = _schemas.Ref(type);
        var responses = new JsonObject();
        foreach (string code in codes)
        {
            var content = new JsonObject();
            foreach (string contentType in s_responseContentTypes)
            {
                content[contentType] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = reference } };
            }

            responses[code] = new JsonObject { ["description"] = Describe(code), ["content"] = content };
        }

        responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
        return responses;
    }

    private static string Describe(string code) => int.Parse(code, CultureInfo.InvariantCulture) switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        _ => code,
    };

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["kind"] = kind, ["version"] = version };
}
