using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Skiff.ApiServer.OpenApi;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Tests.OpenApi;

public sealed class OpenApiDocumentsTests : IClassFixture<OpenApiFixture>
{
    private readonly OpenApiDocuments _documents;

    public OpenApiDocumentsTests(OpenApiFixture fixture) => _documents = fixture.Documents;

    [Fact]
    public void Index_EveryServedGroupVersion_ListsUrlWithHashOfDocumentBytes()
    {
        JsonObject paths = _documents.Index()["paths"]!.AsObject();

        Assert.Equal(ResourceCatalog.BuiltIn.GroupVersions.Count, paths.Count);
        Assert.Contains("api/v1", paths.Select(p => p.Key));
        Assert.Contains("apis/apps/v1", paths.Select(p => p.Key));
        foreach ((string path, JsonNode? entry) in paths)
        {
            Assert.True(_documents.TryGetDocument(path, out byte[] json, out string hash));
            Assert.Equal(Convert.ToHexString(SHA512.HashData(json)), hash);
            Assert.Equal($"/openapi/v3/{path}?hash={hash}", (string?)entry!["serverRelativeURL"]);
        }
    }

    [Fact]
    public void TryGetDocument_UnservedGroupVersion_ReturnsFalse()
    {
        Assert.False(_documents.TryGetDocument("apis/example.com/v1", out _, out _));
        Assert.True(_documents.TryGetDocument("/apis/apps/v1", out _, out _));
    }

    [Fact]
    public void TryGetDocument_CalledConcurrently_BuildsOnce()
    {
        var documents = new OpenApiDocuments(ResourceCatalog.BuiltIn, ModelDocumentation.Empty);
        byte[][] results = new byte[8][];

        Parallel.For(0, results.Length, i => documents.TryGetDocument("apis/batch/v1", out results[i], out _));

        Assert.All(results, r => Assert.Same(results[0], r));
    }

    [Fact]
    public void Document_Always_IsOpenApi300WithKubernetesInfo()
    {
        JsonObject document = Parse("api/v1");

        Assert.Equal("3.0.0", (string?)document["openapi"]);
        Assert.Equal("Kubernetes", (string?)document["info"]!["title"]);
        Assert.Equal("v1.32.0", (string?)document["info"]!["version"]);
    }

    [Fact]
    public void DeploymentPatch_Always_HasGvkFieldValidationAndNoStrategicMergePatch()
    {
        JsonObject patch = Parse("apis/apps/v1")["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!.AsObject();

        Assert.Equal("patchAppsV1NamespacedDeployment", (string?)patch["operationId"]);
        Assert.Equal("patch", (string?)patch["x-kubernetes-action"]);
        JsonNode gvk = patch["x-kubernetes-group-version-kind"]!;
        Assert.Equal(("apps", "v1", "Deployment"), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
        string[] query = [.. patch["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "query").Select(p => (string)p!["name"]!)];
        Assert.Equal(["dryRun", "fieldManager", "fieldValidation", "force"], query);
        string[] content = [.. patch["requestBody"]!["content"]!.AsObject().Select(c => c.Key)];
        Assert.Contains("application/json-patch+json", content);
        Assert.Contains("application/merge-patch+json", content);
        Assert.Contains("application/apply-patch+yaml", content);
        Assert.DoesNotContain("application/strategic-merge-patch+json", content);
    }

    [Theory]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods", "post", "createCoreV1NamespacedPod")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods", "get", "listCoreV1NamespacedPod")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods", "delete", "deleteCoreV1CollectionNamespacedPod")]
    [InlineData("api/v1", "/api/v1/pods", "get", "listCoreV1PodForAllNamespaces")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}", "get", "readCoreV1NamespacedPod")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}", "put", "replaceCoreV1NamespacedPod")]
    [InlineData("api/v1", "/api/v1/namespaces/{namespace}/pods/{name}/status", "patch", "patchCoreV1NamespacedPodStatus")]
    [InlineData("api/v1", "/api/v1/nodes/{name}", "delete", "deleteCoreV1Node")]
    [InlineData("apis/apps/v1", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "put", "replaceAppsV1NamespacedDeploymentScale")]
    [InlineData("apis/rbac.authorization.k8s.io/v1", "/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}", "get", "readRbacAuthorizationV1ClusterRole")]
    [InlineData("apis/authorization.k8s.io/v1", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "post", "createAuthorizationV1SelfSubjectAccessReview")]
    public void Paths_ServedVerb_HasUpstreamOperationId(string document, string path, string method, string operationId)
    {
        Assert.Equal(operationId, (string?)Parse(document)["paths"]![path]![method]!["operationId"]);
    }

    [Fact]
    public void Paths_CreateAndReplace_TakeFieldValidation()
    {
        JsonNode paths = Parse("api/v1")["paths"]!;

        foreach (JsonNode? operation in new[] { paths["/api/v1/namespaces/{namespace}/configmaps"]!["post"], paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]!["put"] })
        {
            string[] query = [.. operation!["parameters"]!.AsArray().Select(p => (string)p!["name"]!)];
            Assert.Equal(["dryRun", "fieldManager", "fieldValidation"], query);
        }
    }

    [Fact]
    public void ScaleSubresource_Always_CarriesAutoscalingScaleGvk()
    {
        JsonNode gvk = Parse("apis/apps/v1")["paths"]!["/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale"]!["patch"]!["x-kubernetes-group-version-kind"]!;

        Assert.Equal(("autoscaling", "v1", "Scale"), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
    }

    [Fact]
    public void Documents_EveryReference_ResolvesWithinTheDocument()
    {
        foreach (string path in _documents.Paths)
        {
            JsonObject document = Parse(path);
            JsonObject schemas = document["components"]!["schemas"]!.AsObject();
            var references = new List<string>();
            Collect(document, references);

            Assert.NotEmpty(references);
            Assert.All(references, r =>
            {
                Assert.StartsWith("#/components/schemas/", r, StringComparison.Ordinal);
                Assert.True(schemas.ContainsKey(r["#/components/schemas/".Length..]), $"{path}: {r} does not resolve");
            });
        }
    }

    private JsonObject Parse(string path)
    {
        Assert.True(_documents.TryGetDocument(path, out byte[] json, out _));
        return JsonNode.Parse(json)!.AsObject();
    }

    private static void Collect(JsonNode? node, List<string> references)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach ((string key, JsonNode? value) in obj)
                {
                    // JSONSchemaProps has a property named "$ref"; only a string value is a reference.
                    if (key == "$ref" && value is JsonValue)
                    {
                        references.Add((string)value!);
                    }
                    else
                    {
                        Collect(value, references);
                    }
                }

                break;
            case JsonArray array:
                foreach (JsonNode? item in array)
                {
                    Collect(item, references);
                }

                break;
        }
    }
}
