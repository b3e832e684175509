using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Admission;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.Admission;

/// <summary>
/// A mutating plugin (or webhook) cannot choose the fields the registry owns: the uid, creation and deletion timestamps, and
/// the status of a main-resource write are set after mutating admission, as upstream's BeforeCreate/BeforeUpdate do.
/// </summary>
public sealed class AdmissionSystemFieldsTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new(register: services => services.AddSingleton<IAdmissionPlugin, SystemFieldsThief>());

    public async Task InitializeAsync() => await _harness.CreateNamespaceAsync("demo");

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Create_PluginSetsDeletionTimestampUidAndStatus_NoneIsStored()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Pods, "demo", """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"busybox"}]}}
            """);

        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "web");
        Assert.Null(stored["metadata"]!["deletionTimestamp"]);
        Assert.NotEqual(SystemFieldsThief.Uid, stored["metadata"]!["uid"]!.GetValue<string>());
        Assert.NotEqual("Running", stored["status"]?["phase"]?.GetValue<string>());
        Assert.Equal("true", stored["metadata"]!["labels"]!["touched"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), stored["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_PluginSetsDeletionTimestampUidAndStatus_ObjectStaysAndKeepsItsOwn()
    {
        JsonObject created = await _harness.CreateAsync(_harness.Pods, "demo", """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"api"},"spec":{"containers":[{"name":"app","image":"busybox"}]}}
            """);
        created["metadata"]!["annotations"] = new JsonObject { ["note"] = "edited" };

        await _harness.ReplaceAsync(_harness.Pods, "demo", "api", created);

        JsonObject stored = await _harness.GetAsync(_harness.Pods, "demo", "api");
        Assert.Equal("edited", stored["metadata"]!["annotations"]!["note"]!.GetValue<string>());
        Assert.Null(stored["metadata"]!["deletionTimestamp"]);
        Assert.Equal(created["metadata"]!["uid"]!.GetValue<string>(), stored["metadata"]!["uid"]!.GetValue<string>());
        Assert.NotEqual("Running", stored["status"]?["phase"]?.GetValue<string>());
    }

    /// <summary>A test plugin that tries to set what only the registry may set, and one harmless label.</summary>
    private sealed class SystemFieldsThief : IMutatingAdmissionPlugin
    {
        public const string Uid = "00000000-0000-0000-0000-000000000bad";

        public string Name => "SystemFieldsThief";

        public Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
        {
            if (attributes.Object is V1Pod pod)
            {
                pod.Metadata.Uid = Uid;
                pod.Metadata.DeletionTimestamp = new DateTime(2025, 3, 1, 12, 0, 0, DateTimeKind.Utc);
                pod.Metadata.Labels ??= new Dictionary<string, string>();
                pod.Metadata.Labels["touched"] = "true";
                pod.Status = new V1PodStatus { Phase = "Running" };
            }

            return Task.CompletedTask;
        }
    }
}
