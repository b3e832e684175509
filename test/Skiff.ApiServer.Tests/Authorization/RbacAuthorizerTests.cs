using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class RbacAuthorizerTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RbacHarness _harness = new();

    public async Task InitializeAsync()
    {
        await _harness.StartAsync();
        await _harness.Registry.CreateNamespaceAsync("team");
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Authorize_UnboundUser_IsRefusedWithoutReason()
    {
        (bool allowed, string reason) = await _harness.AuthorizeAsync(RbacHarness.User("jane"), "list", "", "pods", "team");

        Assert.False(allowed);
        Assert.Equal(string.Empty, reason);
    }

    [Fact]
    public async Task Authorize_RoleBindingToView_AllowsReadsInItsNamespaceOnly()
    {
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"jane-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"jane"}]}
            """);
        UserInfo jane = RbacHarness.User("jane");

        (bool allowed, string reason) = await _harness.AuthorizeAsync(jane, "get", "", "pods", "team", "web");

        Assert.True(allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"jane-view/team\" of ClusterRole \"view\" to User \"jane\"", reason);
        Assert.False((await _harness.AuthorizeAsync(jane, "get", "", "pods", "default", "web")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(jane, "delete", "", "pods", "team", "web")).Allowed);
        Assert.False((await _harness.AuthorizeAsync(jane, "get", "", "secrets", "team", "password")).Allowed);
    }

    [Fact]
    public async Task Authorize_ClusterRoleBindingToGroup_AllowsEveryNamespaceAndNamesTheBinding()
    {
        await _harness.CreateRbacAsync("clusterroles", null, """
            {"metadata":{"name":"pod-reader"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods","pods/log"]}]}
            """);
        await _harness.CreateRbacAsync("clusterrolebindings", null, """
            {"metadata":{"name":"readers"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"pod-reader"},
             "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"auditors"}]}
            """);

        (bool allowed, string reason) = await _harness.AuthorizeAsync(RbacHarness.User("sam", "auditors"), "get", "", "pods", "anywhere", "x", "log");

        Assert.True(allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"readers\" of ClusterRole \"pod-reader\" to Group \"auditors\"", reason);
        Assert.False((await _harness.AuthorizeAsync(RbacHarness.User("sam"), "get", "", "pods", "anywhere", "x", "log")).Allowed);
    }

    [Fact]
    public async Task Authorize_ServiceAccountSubjectWithoutNamespace_MeansTheBindingsNamespace()
    {
        await _harness.CreateRbacAsync("roles", "team", """
            {"metadata":{"name":"cm-writer"},"rules":[{"verbs":["create"],"apiGroups":[""],"resources":["configmaps"]}]}
            """);
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"bot"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm-writer"},
             "subjects":[{"kind":"ServiceAccount","name":"bot"}]}
            """);

        (bool allowed, string reason) = await _harness.AuthorizeAsync(RbacHarness.User("system:serviceaccount:team:bot"), "create", "", "configmaps", "team");

        Assert.True(allowed);
        Assert.Equal("RBAC: allowed by RoleBinding \"bot/team\" of Role \"cm-writer\" to ServiceAccount \"bot/team\"", reason);
        Assert.False((await _harness.AuthorizeAsync(RbacHarness.User("system:serviceaccount:other:bot"), "create", "", "configmaps", "team")).Allowed);
    }

    [Fact]
    public async Task Authorize_BindingToMissingRole_RefusesAndSaysWhichRole()
    {
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"dangling"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"gone"},
             "subjects":[{"kind":"User","name":"jane"}]}
            """);

        (bool allowed, string reason) = await _harness.AuthorizeAsync(RbacHarness.User("jane"), "get", "", "pods", "team", "web");

        Assert.False(allowed);
        Assert.Equal("RBAC: role.rbac.authorization.k8s.io \"gone\" not found", reason);
    }

    [Fact]
    public async Task Authorize_DefaultPolicy_GivesEveryAuthenticatedUserDiscoveryAndSelfReviews()
    {
        UserInfo anyone = RbacHarness.User("nobody");
        AuthorizerChain chain = _harness.Chain;

        Assert.True((await chain.AuthorizeAsync(new AuthorizationAttributes(anyone, "get", "", "", null, null, null, "/apis/apps/v1"), default)).Allowed);
        Assert.True((await chain.AuthorizeAsync(new AuthorizationAttributes(anyone, "get", "", "", null, null, null, "/version"), default)).Allowed);
        Assert.False((await chain.AuthorizeAsync(new AuthorizationAttributes(anyone, "get", "", "", null, null, null, "/metrics"), default)).Allowed);
        Assert.True((await _harness.AuthorizeAsync(anyone, "create", "authorization.k8s.io", "selfsubjectaccessreviews", null)).Allowed);
    }

    [Fact]
    public async Task RulesFor_UserWithView_ListsBasicUserAndViewRules()
    {
        await _harness.CreateRbacAsync("rolebindings", "team", """
            {"metadata":{"name":"jane-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"User","name":"jane"}]}
            """);

        ResolvedRules resolved = _harness.Chain.RulesFor(RbacHarness.User("jane"), "team");

        Assert.False(resolved.Incomplete);
        Assert.Contains(resolved.Rules, r => r.Resources is { } resources && resources.Contains("selfsubjectrulesreviews"));
        Assert.Contains(resolved.Rules, r => r.Resources is { } resources && resources.Contains("configmaps") && r.Verbs.SequenceEqual(["get", "list", "watch"]));
        Assert.DoesNotContain(resolved.Rules, r => r.Resources is { } resources && resources.Contains("secrets"));
        Assert.DoesNotContain(_harness.Chain.RulesFor(RbacHarness.User("jane"), "default").Rules, r => r.Resources?.Contains("configmaps") == true);
    }

    [Fact]
    public async Task Policy_RoleChanged_IsReindexedOnTheNextRequest()
    {
        var rbac = _harness.Registry.Provider.GetRequiredService<RbacAuthorizer>();
        RbacPolicy before = rbac.Policy();

        await _harness.CreateRbacAsync("clusterroles", null, """{"metadata":{"name":"new-role"},"rules":[]}""");

        RbacPolicy after = rbac.Policy();
        Assert.NotSame(before, after);
        Assert.NotNull(after.ClusterRole("new-role"));
        Assert.Null(before.ClusterRole("new-role"));
    }

    [Fact]
    public async Task Authorize_SystemMasters_IsAllowedWithoutAnyBinding()
    {
        (bool allowed, string reason) = await _harness.AuthorizeAsync(RbacHarness.User("root", "system:masters"), "delete", "apps", "deployments", "team", "x");

        Assert.True(allowed);
        Assert.Equal("the user is in system:masters", reason);
    }

    [Fact]
    public void VisitRules_EmptyPolicy_VisitsNothing()
    {
        List<string> errors = RbacPolicy.Empty.VisitRules(RbacHarness.User("jane"), "team", (_, _) => throw new InvalidOperationException("no rule exists"));

        Assert.Empty(errors);
        Assert.Null(RbacPolicy.Empty.ClusterRole("view"));
    }
}
