using k8s.Models;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;

namespace Skiff.ApiServer.Tests.Authorization;

public sealed class PolicyRulesTests
{
    private static readonly UserInfo s_jane = new("jane", ["system:authenticated"]);

    private static V1PolicyRule Rule(string[] verbs, string[] groups, string[] resources, string[]? names = null) =>
        new() { Verbs = verbs, ApiGroups = groups, Resources = resources, ResourceNames = names };

    private static AuthorizationAttributes Request(string verb, string group, string resource, string? subresource = null, string? name = null) =>
        new(s_jane, verb, group, resource, subresource, "team", name);

    [Theory]
    [InlineData("get", "", "pods", null, true)]
    [InlineData("delete", "", "pods", null, false)]
    [InlineData("get", "apps", "pods", null, false)]
    [InlineData("get", "", "pods", "log", false)]
    [InlineData("get", "", "services", null, false)]
    public void Allows_PlainRule_MatchesVerbGroupAndResourceOnly(string verb, string group, string resource, string? subresource, bool expected) =>
        Assert.Equal(expected, PolicyRules.Allows(Request(verb, group, resource, subresource), Rule(["get", "list"], [""], ["pods"])));

    [Fact]
    public void Allows_SubresourceRule_MatchesOnlyThatSubresource()
    {
        V1PolicyRule rule = Rule(["get"], [""], ["pods/log"]);

        Assert.True(PolicyRules.Allows(Request("get", "", "pods", "log"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "", "pods"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "", "pods", "exec"), rule));
    }

    [Fact]
    public void Allows_StarSlashSubresource_MatchesThatSubresourceOfEveryResource()
    {
        V1PolicyRule rule = Rule(["get"], ["*"], ["*/scale"]);

        Assert.True(PolicyRules.Allows(Request("get", "apps", "deployments", "scale"), rule));
        Assert.True(PolicyRules.Allows(Request("get", "", "replicationcontrollers", "scale"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "apps", "deployments"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "apps", "deployments", "status"), rule));
    }

    [Fact]
    public void Allows_Stars_MatchEverythingIncludingSubresources()
    {
        V1PolicyRule rule = Rule(["*"], ["*"], ["*"]);

        Assert.True(PolicyRules.Allows(Request("deletecollection", "batch", "jobs"), rule));
        Assert.True(PolicyRules.Allows(Request("create", "", "pods", "exec"), rule));
    }

    [Fact]
    public void Allows_ResourceNames_MatchOnlyNamedRequests()
    {
        V1PolicyRule rule = Rule(["get", "update"], ["coordination.k8s.io"], ["leases"], ["kube-scheduler"]);

        Assert.True(PolicyRules.Allows(Request("get", "coordination.k8s.io", "leases", name: "kube-scheduler"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "coordination.k8s.io", "leases", name: "other"), rule));
        Assert.False(PolicyRules.Allows(Request("list", "coordination.k8s.io", "leases"), rule));
        Assert.False(PolicyRules.Allows(Request("get", "coordination.k8s.io", "leases"), rule));
    }

    [Theory]
    [InlineData("/healthz", true)]
    [InlineData("/apis", true)]
    [InlineData("/apis/apps/v1", true)]
    [InlineData("/api", false)]
    [InlineData("/metrics", false)]
    public void Allows_NonResourceUrls_MatchExactlyOrByTrailingStarPrefix(string path, bool expected)
    {
        var rule = new V1PolicyRule { Verbs = ["get"], NonResourceURLs = ["/healthz", "/apis/*", "/apis"] };

        Assert.Equal(expected, PolicyRules.Allows(new AuthorizationAttributes(s_jane, "get", "", "", null, null, null, path), rule));
    }

    [Fact]
    public void Allows_ResourceRuleForNonResourceRequest_DoesNotMatch() =>
        Assert.False(PolicyRules.Allows(new AuthorizationAttributes(s_jane, "get", "", "", null, null, null, "/metrics"), Rule(["*"], ["*"], ["*"])));
}
