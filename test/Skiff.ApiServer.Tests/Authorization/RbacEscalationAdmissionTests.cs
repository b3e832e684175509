using System.Text.Json.Nodes;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Tests.Registry;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class RbacEscalationAdmissionTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly UserInfo s_jane = new("jane", ["system:authenticated"]);

    private readonly RbacHarness _harness = new();

    public async Task InitializeAsync()
    {
        await _harness.StartAsync();
        await _harness.Registry.CreateNamespaceAsync("team");
        // jane administers "team": she may write Roles and RoleBindings and read pods there (a Role of its own, not the
        // aggregated admin ClusterRole, whose rules arrive asynchronously).
        await _harness.CreateRbacAsync("roles", "team", """
            {"metadata":{"name":"team-admin"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["get","list","create","update","patch","delete"]},
             {"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list","watch"]}]}
            """);
        await _harness.CreateRbacAsync("roles", "team", """{"metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"jane-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"team-admin"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """);
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private static WriteRequest AsJane() => RegistryHarness.Write() with { User = s_jane };

    private Task<JsonObject> CreateAsJaneAsync(string plural, string? ns, string json) =>
        _harness.Registry.Registry.CreateAsync(_harness.Registry.Resource("rbac.authorization.k8s.io", "v1", plural), ns, RegistryHarness.Json(json), AsJane(), CancellationToken.None);

    [Fact]
    public async Task CreateRole_WildcardNotHeld_IsForbiddenWithUpstreamsMessage()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() => CreateAsJaneAsync("roles", "team",
            """{"metadata":{"name":"x"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["*"]}]}"""));

        Assert.Equal(403, error.Code);
        Assert.Equal(
            "roles.rbac.authorization.k8s.io \"x\" is forbidden: user \"jane\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"*\"]}",
            error.Message);
    }

    [Fact]
    public async Task CreateRole_RulesHeld_IsAdmitted()
    {
        await CreateAsJaneAsync("roles", "team", """{"metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["pods","pods/log"],"verbs":["get","list"]}]}""");

        Assert.Equal("reader", (string?)(await _harness.Registry.GetAsync(_harness.Registry.Resource("rbac.authorization.k8s.io", "v1", "roles"), "team", "reader"))["metadata"]!["name"]);
    }

    [Fact]
    public async Task CreateRoleBinding_ToClusterAdmin_IsForbidden()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() => CreateAsJaneAsync("rolebindings", "team", """
            {"metadata":{"name":"grab"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """));

        Assert.Equal(403, error.Code);
        Assert.StartsWith("rolebindings.rbac.authorization.k8s.io \"grab\" is forbidden: user \"jane\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n", error.Message, StringComparison.Ordinal);
        Assert.Contains("{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateRoleBinding_ToHeldRole_IsAdmitted()
    {
        await CreateAsJaneAsync("rolebindings", "team", """
            {"metadata":{"name":"bob-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"bob"}]}
            """);
    }

    [Fact]
    public async Task CreateRoleBinding_WithBindVerb_IsAdmittedWithoutHoldingTheRole()
    {
        await _harness.CreateRbacAsync("roles", "team", """{"metadata":{"name":"bind-admin"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["bind"],"resourceNames":["cluster-admin"]}]}""");
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"jane-bind"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"bind-admin"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """);

        await CreateAsJaneAsync("rolebindings", "team", """
            {"metadata":{"name":"ops-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"ops"}]}
            """);
    }

    [Fact]
    public async Task CreateClusterRole_AggregationRuleWithoutClusterAdmin_IsForbidden()
    {
        await _harness.CreateRbacAsync("clusterroles", null, """{"metadata":{"name":"cr-writer"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["create"]}]}""");
        await _harness.CreateRbacAsync("clusterrolebindings", null, """
            {"metadata":{"name":"jane-cr-writer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr-writer"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """);

        var error = await Assert.ThrowsAsync<StatusException>(() => CreateAsJaneAsync("clusterroles", null,
            """{"metadata":{"name":"gather"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"x":"y"}}]}}"""));

        Assert.Equal("clusterroles.rbac.authorization.k8s.io \"gather\" is forbidden: must have cluster-admin privileges to use the aggregationRule", error.Message);
    }
}
