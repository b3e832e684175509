using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authentication;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class ImpersonationTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly UserInfo s_admin = new("admin", ["system:masters", "system:authenticated"]);
    private static readonly UserInfo s_jane = new("jane", ["system:authenticated"]);

    private readonly RbacHarness _harness = new();

    public Task InitializeAsync() => _harness.StartAsync();

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    private static DefaultHttpContext Request(params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        foreach (IGrouping<string, string> header in headers.GroupBy(h => h.Name, h => h.Value))
        {
            context.Request.Headers[header.Key] = header.ToArray();
        }

        return context;
    }

    [Fact]
    public async Task Apply_NoHeaders_KeepsTheCaller()
    {
        UserInfo user = await Impersonation.ApplyAsync(Request(), s_jane, _harness.Chain, CancellationToken.None);

        Assert.Same(s_jane, user);
    }

    [Fact]
    public async Task Apply_AdminImpersonatesUserAndGroups_ActsAsThemWithSystemAuthenticated()
    {
        DefaultHttpContext context = Request(("Impersonate-User", "jane"), ("Impersonate-Group", "devs"), ("Impersonate-Group", "ops"), ("Impersonate-Uid", "42"), ("Impersonate-Extra-Scopes", "view"));

        UserInfo user = await Impersonation.ApplyAsync(context, s_admin, _harness.Chain, CancellationToken.None);

        Assert.Equal("jane", user.Name);
        Assert.Equal(["devs", "ops", "system:authenticated"], user.Groups);
        Assert.Equal("42", user.Uid);
        Assert.Equal(["view"], user.Extra["scopes"]);
        Assert.False(context.Request.Headers.ContainsKey("Impersonate-User"));
    }

    [Fact]
    public async Task Apply_ServiceAccountWithoutGroups_GetsItsServiceAccountGroups()
    {
        UserInfo user = await Impersonation.ApplyAsync(Request(("Impersonate-User", "system:serviceaccount:team:bot")), s_admin, _harness.Chain, CancellationToken.None);

        Assert.Equal("system:serviceaccount:team:bot", user.Name);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"], user.Groups);
    }

    [Fact]
    public async Task Apply_CallerWithoutImpersonateVerb_IsForbiddenWithUpstreamsMessage()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() => Impersonation.ApplyAsync(Request(("Impersonate-User", "admin")), s_jane, _harness.Chain, CancellationToken.None));

        Assert.Equal(403, error.Code);
        Assert.Equal("users \"admin\" is forbidden: User \"jane\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", error.Message);
    }

    [Fact]
    public async Task Apply_AllowedUserButNotGroup_IsForbiddenOnTheGroup()
    {
        await _harness.CreateRbacAsync("clusterroles", null, """
            {"metadata":{"name":"impersonate-bob"},"rules":[{"verbs":["impersonate"],"apiGroups":[""],"resources":["users"],"resourceNames":["bob"]}]}
            """);
        await _harness.CreateRbacAsync("clusterrolebindings", null, """
            {"metadata":{"name":"jane-as-bob"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"impersonate-bob"},
             "subjects":[{"kind":"User","name":"jane"}]}
            """);

        UserInfo bob = await Impersonation.ApplyAsync(Request(("Impersonate-User", "bob")), s_jane, _harness.Chain, CancellationToken.None);
        var error = await Assert.ThrowsAsync<StatusException>(() =>
            Impersonation.ApplyAsync(Request(("Impersonate-User", "bob"), ("Impersonate-Group", "system:masters")), s_jane, _harness.Chain, CancellationToken.None));

        Assert.Equal("bob", bob.Name);
        Assert.Equal("groups \"system:masters\" is forbidden: User \"jane\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope", error.Message);
    }

    [Fact]
    public async Task Apply_GroupWithoutUser_IsBadRequest()
    {
        var error = await Assert.ThrowsAsync<StatusException>(() => Impersonation.ApplyAsync(Request(("Impersonate-Group", "system:masters")), s_admin, _harness.Chain, CancellationToken.None));

        Assert.Equal(400, error.Code);
        Assert.EndsWith("without impersonating a user", error.Message, StringComparison.Ordinal);
    }
}
