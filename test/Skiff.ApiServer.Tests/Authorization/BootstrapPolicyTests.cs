using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Authorization;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class BootstrapPolicyTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RbacHarness _harness = new();

    public Task InitializeAsync() => _harness.StartAsync();

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Theory]
    [InlineData("cluster-admin", "system:masters")]
    [InlineData("system:basic-user", "system:authenticated")]
    [InlineData("system:discovery", "system:authenticated")]
    [InlineData("system:node", "system:nodes")]
    [InlineData("system:skiff:node", "system:nodes")]
    public async Task Bootstrap_CreatesUpstreamsGroupBindings(string name, string group)
    {
        JsonObject binding = await _harness.Registry.GetAsync(_harness.Registry.Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings"), null, name);

        Assert.Contains(binding["subjects"]!.AsArray(), s => (string?)s!["kind"] == "Group" && (string?)s["name"] == group);
        Assert.Equal("true", (string?)binding["metadata"]!["annotations"]![BootstrapPolicy.AutoUpdateAnnotation]);
    }

    [Fact]
    public async Task Bootstrap_Aggregation_FillsViewEditAndAdminFromTheirPieces()
    {
        var roles = _harness.Registry.Resource("rbac.authorization.k8s.io", "v1", "clusterroles");
        async Task<string> ResourcesOf(string name) => (await _harness.Registry.GetAsync(roles, null, name))["rules"]?.ToJsonString() ?? string.Empty;

        // The aggregator fills the three roles independently: wait for each expected piece, not for one of them.
        await Eventually(async () => (await ResourcesOf("admin")).Contains("\"rolebindings\"", StringComparison.Ordinal));
        await Eventually(async () => (await ResourcesOf("admin")).Contains("\"pods/exec\"", StringComparison.Ordinal));
        await Eventually(async () => (await ResourcesOf("edit")).Contains("\"secrets\"", StringComparison.Ordinal));
        await Eventually(async () => (await ResourcesOf("edit")).Contains("\"pods/log\"", StringComparison.Ordinal));
        await Eventually(async () => (await ResourcesOf("view")).Contains("\"configmaps\"", StringComparison.Ordinal));

        Assert.DoesNotContain("\"secrets\"", await ResourcesOf("view"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aggregation_NewLabelledRole_ExtendsViewAndIsRemovedWhenDeleted()
    {
        var roles = _harness.Registry.Resource("rbac.authorization.k8s.io", "v1", "clusterroles");
        await _harness.CreateRbacAsync("clusterroles", null, """
            {"metadata":{"name":"widgets","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},
             "rules":[{"verbs":["get"],"apiGroups":["example.com"],"resources":["widgets"]}]}
            """);

        await Eventually(async () => (await _harness.Registry.GetAsync(roles, null, "view"))["rules"]!.ToJsonString().Contains("widgets", StringComparison.Ordinal));
        await _harness.Registry.Registry.DeleteAsync(roles, null, "widgets", null, dryRun: false, CancellationToken.None);
        await Eventually(async () => !(await _harness.Registry.GetAsync(roles, null, "view"))["rules"]!.ToJsonString().Contains("widgets", StringComparison.Ordinal));
    }

    [Fact]
    public void Aggregate_MatchingRoles_InNameOrderWithoutDuplicatesOrItself()
    {
        V1PolicyRule read = BootstrapPolicy.Rule(["get"], [""], ["pods"]);
        V1PolicyRule write = BootstrapPolicy.Rule(["create"], [""], ["pods"]);
        var label = new Dictionary<string, string> { ["pick"] = "true" };
        (IReadOnlyDictionary<string, string>, V1ClusterRole)[] roles =
        [
            (label, new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "a" }, Rules = [read] }),
            (label, new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "b" }, Rules = [read, write] }),
            (new Dictionary<string, string>(), new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "c" }, Rules = [BootstrapPolicy.Rule(["delete"], [""], ["pods"])] }),
            (label, new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "self" }, Rules = [BootstrapPolicy.Rule(["*"], ["*"], ["*"])] }),
        ];

        List<V1PolicyRule> rules = ClusterRoleAggregator.Aggregate("self", [new V1LabelSelector { MatchLabels = label }], roles);

        Assert.Equal([read, write], rules);
    }

    [Fact]
    public void Merge_RoleMissingABootstrapRule_GetsItBackAndKeepsItsOwn()
    {
        V1ClusterRole expected = BootstrapPolicy.ClusterRoles().Single(r => r.Metadata.Name == "system:basic-user");
        V1PolicyRule extra = BootstrapPolicy.Rule(["get"], [""], ["pods"]);
        var existing = new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "system:basic-user" }, Rules = [expected.Rules[1], extra] };

        bool changed = PolicyReconciliation.Merge(existing, expected);

        Assert.True(changed);
        Assert.Equal(3, existing.Rules.Count);
        Assert.Contains(extra, existing.Rules);
        Assert.Equal("true", existing.Metadata.Annotations[BootstrapPolicy.AutoUpdateAnnotation]);
        Assert.False(PolicyReconciliation.Merge(existing, expected));
    }

    [Fact]
    public async Task Bootstrap_AutoUpdateFalse_LeavesAnEditedRoleAlone()
    {
        var roles = _harness.Registry.Resource("rbac.authorization.k8s.io", "v1", "clusterroles");
        JsonObject edited = await _harness.Registry.GetAsync(roles, null, "system:basic-user");
        edited["metadata"]!["annotations"]![BootstrapPolicy.AutoUpdateAnnotation] = "false";
        edited["rules"] = new JsonArray();
        await _harness.Registry.ReplaceAsync(roles, null, "system:basic-user", edited);
        JsonObject autoUpdated = await _harness.Registry.GetAsync(roles, null, "system:discovery");
        autoUpdated["rules"] = new JsonArray();
        await _harness.Registry.ReplaceAsync(roles, null, "system:discovery", autoUpdated);

        await ((PolicyBootstrap)_harness.Registry.Provider.GetService(typeof(PolicyBootstrap))!).EnsureAsync(CancellationToken.None);

        Assert.Empty((await _harness.Registry.GetAsync(roles, null, "system:basic-user"))["rules"]!.AsArray());
        Assert.NotEmpty((await _harness.Registry.GetAsync(roles, null, "system:discovery"))["rules"]!.AsArray());
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
