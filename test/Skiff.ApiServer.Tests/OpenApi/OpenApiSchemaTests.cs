using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.OpenApi;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Tests.OpenApi;

public sealed class OpenApiSchemaTests : IClassFixture<OpenApiFixture>
{
    private readonly OpenApiFixture _fixture;

    public OpenApiSchemaTests(OpenApiFixture fixture) => _fixture = fixture;

    [Fact]
    public void PodSchema_WithDocumentation_HasDescribedPropertiesAndGvk()
    {
        Assert.True(_fixture.Documentation.Count > 0, "KubernetesClient.xml not found next to the assembly or in the NuGet cache");
        JsonObject pod = Schemas("api/v1")["io.k8s.api.core.v1.Pod"]!.AsObject();

        Assert.Equal("object", (string?)pod["type"]);
        Assert.StartsWith("Pod is a collection of containers", (string?)pod["description"], StringComparison.Ordinal);
        JsonObject properties = pod["properties"]!.AsObject();
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], properties.Select(p => p.Key));
        Assert.All(properties, p => Assert.False(string.IsNullOrEmpty((string?)p.Value!["description"]), p.Key));
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.PodSpec", (string?)properties["spec"]!["allOf"]![0]!["$ref"]);
        Assert.NotNull(properties["spec"]!["default"]);
        JsonNode gvk = pod["x-kubernetes-group-version-kind"]![0]!;
        Assert.Equal(("", "v1", "Pod"), ((string?)gvk["group"], (string?)gvk["version"], (string?)gvk["kind"]));
    }

    [Fact]
    public void ContainerSchema_Always_HasTypedProperties()
    {
        JsonObject container = Schemas("apis/apps/v1")["io.k8s.api.core.v1.Container"]!.AsObject();
        JsonNode properties = container["properties"]!;

        Assert.Equal("array", (string?)properties["ports"]!["type"]);
        Assert.Equal("#/components/schemas/io.k8s.api.core.v1.ContainerPort", (string?)properties["ports"]!["items"]!["allOf"]![0]!["$ref"]);
        Assert.Equal("boolean", (string?)properties["stdin"]!["type"]);
        Assert.Equal("int32", (string?)Schemas("apis/apps/v1")["io.k8s.api.core.v1.ContainerPort"]!["properties"]!["containerPort"]!["format"]);
    }

    [Fact]
    public void SpecialTypes_Always_HaveUpstreamShapes()
    {
        JsonObject schemas = Schemas("api/v1");

        Assert.Equal(["string", "number"], schemas[SchemaNames.QuantityName]!["oneOf"]!.AsArray().Select(t => (string?)t!["type"]));
        Assert.Equal(["integer", "string"], schemas[SchemaNames.IntOrStringName]!["oneOf"]!.AsArray().Select(t => (string?)t!["type"]));
        Assert.True((bool?)schemas[SchemaNames.IntOrStringName]!["x-kubernetes-int-or-string"]);
        Assert.Equal("date-time", (string?)schemas[SchemaNames.TimeName]!["format"]);
        JsonNode limits = schemas["io.k8s.api.core.v1.ResourceRequirements"]!["properties"]!["limits"]!;
        Assert.Equal("object", (string?)limits["type"]);
        Assert.Equal("#/components/schemas/" + SchemaNames.QuantityName, (string?)limits["additionalProperties"]!["$ref"]);
        Assert.Equal("int64", (string?)schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]!["properties"]!["generation"]!["format"]);
        Assert.Equal("byte", (string?)schemas["io.k8s.api.core.v1.Secret"]!["properties"]!["data"]!["additionalProperties"]!["format"]);
    }

    [Theory]
    [InlineData(typeof(V1Deployment), "io.k8s.api.apps.v1.Deployment")]
    [InlineData(typeof(V1DeploymentSpec), "io.k8s.api.apps.v1.DeploymentSpec")]
    [InlineData(typeof(V1PodTemplateSpec), "io.k8s.api.core.v1.PodTemplateSpec")]
    [InlineData(typeof(V1JobTemplateSpec), "io.k8s.api.batch.v1.JobTemplateSpec")]
    [InlineData(typeof(V1ObjectMeta), "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")]
    [InlineData(typeof(V1LabelSelector), "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")]
    [InlineData(typeof(V1Status), "io.k8s.apimachinery.pkg.apis.meta.v1.Status")]
    [InlineData(typeof(Rbacv1Subject), "io.k8s.api.rbac.v1.Subject")]
    [InlineData(typeof(Corev1EventSeries), "io.k8s.api.core.v1.EventSeries")]
    [InlineData(typeof(V2MetricSpec), "io.k8s.api.autoscaling.v2.MetricSpec")]
    [InlineData(typeof(V1CrossVersionObjectReference), "io.k8s.api.autoscaling.v1.CrossVersionObjectReference")]
    [InlineData(typeof(V1CustomResourceDefinitionSpec), "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec")]
    [InlineData(typeof(V1NetworkPolicySpec), "io.k8s.api.networking.v1.NetworkPolicySpec")]
    public void NameOf_ModelType_IsUpstreamSchemaName(Type type, string expected)
    {
        Assert.Equal(expected, new SchemaNames(typeof(V1Pod).Assembly).NameOf(type));
    }

    [Fact]
    public void PatchHints_Given_AppearOnProperties()
    {
        var documents = new OpenApiDocuments(
            ResourceCatalog.BuiltIn,
            ModelDocumentation.Empty,
            (type, property) => type == typeof(V1PodSpec) && property == "containers" ? ("merge", "name") : null);

        Assert.True(documents.TryGetDocument("api/v1", out byte[] json, out _));
        JsonNode schemas = JsonNode.Parse(json)!["components"]!["schemas"]!;
        JsonNode containers = schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        Assert.Equal("merge", (string?)containers["x-kubernetes-patch-strategy"]);
        Assert.Equal("name", (string?)containers["x-kubernetes-patch-merge-key"]);
        Assert.Null(schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["volumes"]!["x-kubernetes-patch-strategy"]);
    }

    [Fact]
    public void Schemas_WithoutDocumentation_StillComplete()
    {
        var documents = new OpenApiDocuments(ResourceCatalog.BuiltIn, ModelDocumentation.Empty);

        Assert.True(documents.TryGetDocument("apis/apps/v1", out byte[] json, out _));
        JsonNode deployment = JsonNode.Parse(json)!["components"]!["schemas"]!["io.k8s.api.apps.v1.Deployment"]!;
        Assert.Null(deployment["description"]);
        Assert.NotNull(deployment["properties"]!["spec"]);
    }

    private JsonObject Schemas(string path)
    {
        Assert.True(_fixture.Documents.TryGetDocument(path, out byte[] json, out _));
        return JsonNode.Parse(json)!["components"]!["schemas"]!.AsObject();
    }
}
