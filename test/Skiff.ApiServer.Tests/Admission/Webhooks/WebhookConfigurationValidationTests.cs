using System.Text.Json.Nodes;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

public sealed class WebhookConfigurationValidationTests : IAsyncDisposable
{
    private const string Rule = """{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}""";

    private readonly RegistryHarness _harness = new();

    private ResourceInfo Mutating => _harness.Resource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations");

    private ResourceInfo Validating => _harness.Resource("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Create_MinimalWebhook_GetsUpstreamDefaults()
    {
        JsonObject created = await _harness.CreateAsync(Mutating, null,
            $$$"""{"metadata":{"name":"m"},"webhooks":[{"name":"a.skiff.test","clientConfig":{"service":{"name":"hook","namespace":"demo"}},"rules":[{{{Rule}}}],"sideEffects":"None","admissionReviewVersions":["v1"]}]}""");

        JsonObject hook = created["webhooks"]![0]!.AsObject();
        Assert.Equal("Fail", hook["failurePolicy"]!.GetValue<string>());
        Assert.Equal("Equivalent", hook["matchPolicy"]!.GetValue<string>());
        Assert.Equal(10, hook["timeoutSeconds"]!.GetValue<int>());
        Assert.Equal("Never", hook["reinvocationPolicy"]!.GetValue<string>());
        Assert.Equal(443, hook["clientConfig"]!["service"]!["port"]!.GetValue<int>());
        Assert.Equal("*", hook["rules"]![0]!["scope"]!.GetValue<string>());
        Assert.NotNull(hook["namespaceSelector"]);
    }

    [Theory]
    [InlineData("\"name\":\"short.name\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].name: Invalid value: \"short.name\": should be a domain with at least three segments separated by dots")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"Some\",\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1beta1\"]",
        "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v1beta1\"}: must include at least one of v1")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].clientConfig: Required value: exactly one of url or service is required")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"http://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"timeoutSeconds\":31",
        "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"failurePolicy\":\"Maybe\"",
        "webhooks[0].failurePolicy: Unsupported value: \"Maybe\": supported values: \"Fail\", \"Ignore\"")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"matchPolicy\":\"Loose\"",
        "webhooks[0].matchPolicy: Unsupported value: \"Loose\": supported values: \"Equivalent\", \"Exact\"")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"url\":\"https://x.example/\"},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"reinvocationPolicy\":\"Always\"",
        "webhooks[0].reinvocationPolicy: Unsupported value: \"Always\": supported values: \"IfNeeded\", \"Never\"")]
    [InlineData("\"name\":\"a.skiff.test\",\"clientConfig\":{\"service\":{\"name\":\"hook\",\"namespace\":\"demo\",\"port\":0}},\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]",
        "webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive")]
    public async Task CreateMutating_InvalidWebhook_IsRefusedWithUpstreamsText(string hook, string expected)
    {
        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Mutating, null, $$"""{"metadata":{"name":"bad"},"webhooks":[{{{hook}}}]}"""));

        Assert.Equal(422, error.Code);
        Assert.Equal($"MutatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: {expected}", error.Message);
    }

    [Fact]
    public async Task CreateValidating_BadRulesAndDuplicateNames_ListsEveryProblem()
    {
        const string Hook = """{"name":"a.skiff.test","clientConfig":{"url":"https://x.example/"},"sideEffects":"None","admissionReviewVersions":["v1"],"rules":[{"operations":["*","CREATE","PATCH"],"apiGroups":[""],"apiVersions":["v1"],"resources":["*","pods"],"scope":"Global"}]}""";

        StatusException error = await Assert.ThrowsAsync<StatusException>(() =>
            _harness.CreateAsync(Validating, null, $$"""{"metadata":{"name":"bad"},"webhooks":[{{Hook}},{{Hook}}]}"""));

        Assert.Equal(422, error.Code);
        Assert.StartsWith("ValidatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: [", error.Message);
        Assert.Contains("webhooks[0].rules[0].operations: Invalid value: []string{\"*\", \"CREATE\", \"PATCH\"}: if '*' is present, must not specify other operations", error.Message);
        Assert.Contains("webhooks[0].rules[0].operations[2]: Unsupported value: \"PATCH\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\"", error.Message);
        Assert.Contains("webhooks[0].rules[0].resources: Invalid value: []string{\"*\", \"pods\"}: if '*' is present, must not specify other resources without subresources", error.Message);
        Assert.Contains("webhooks[0].rules[0].scope: Unsupported value: \"Global\": supported values: \"*\", \"Cluster\", \"Namespaced\"", error.Message);
        Assert.Contains("webhooks[1].name: Duplicate value: \"a.skiff.test\"", error.Message);
    }

    [Fact]
    public async Task UpdateMutating_InvalidChange_IsRefused()
    {
        JsonObject created = await _harness.CreateAsync(Mutating, null,
            $$"""{"metadata":{"name":"m"},"webhooks":[{"name":"a.skiff.test","clientConfig":{"url":"https://x.example/"},"rules":[{{Rule}}],"sideEffects":"None","admissionReviewVersions":["v1"]}]}""");
        created["webhooks"]![0]!["timeoutSeconds"] = 0;

        StatusException error = await Assert.ThrowsAsync<StatusException>(() => _harness.ReplaceAsync(Mutating, null, "m", created));

        Assert.Equal("MutatingWebhookConfiguration.admissionregistration.k8s.io \"m\" is invalid: webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds", error.Message);
    }
}
