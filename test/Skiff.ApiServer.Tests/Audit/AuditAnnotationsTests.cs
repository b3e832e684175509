using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Admission;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Audit;

public sealed class AuditAnnotationsTests
{
    private const string Policy = "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n";

    [Theory]
    [InlineData("allowed", 201)]
    [InlineData("refused", 403)]
    public async Task HandleAsync_AdmissionAddsAnnotation_EventCarriesItAdmittedOrNot(string name, int code)
    {
        await using var harness = new AuditHarness(Policy, services => services.AddSingleton<IAdmissionPlugin, AnnotatingPlugin>());
        await harness.StartAsync();

        await harness.SendAsync("POST", "/api/v1/namespaces/demo/configmaps", $$$"""{"metadata":{"name":"{{{name}}}"}}""");

        JsonObject complete = (await harness.EventsAsync()).Single();
        Assert.Equal(code, complete["responseStatus"]!["code"]!.GetValue<int>());
        Assert.Equal($"checked {name}", complete["annotations"]!["example.skiff.dev/checked"]!.GetValue<string>());
        Assert.Equal("allow", complete["annotations"]!["authorization.k8s.io/decision"]!.GetValue<string>());
    }

    /// <summary>Stands for a plugin such as PodSecurity: annotates every create and refuses the one named "refused".</summary>
    private sealed class AnnotatingPlugin : IValidatingAdmissionPlugin
    {
        public string Name => "AnnotatingForTests";

        public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
        {
            attributes.AuditAnnotations["example.skiff.dev/checked"] = $"checked {attributes.Name}";
            return attributes.Name == "refused"
                ? throw new StatusException(403, "Forbidden", "configmaps \"refused\" is forbidden: refused for the test")
                : Task.CompletedTask;
        }
    }
}
