using Skiff.ApiServer.Audit;
using Skiff.ApiServer.Authentication;

namespace Skiff.ApiServer.Tests.Audit;

public sealed class AuditPolicyTests
{
    private const string Header = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";

    private static readonly UserInfo s_admin = new("admin", ["system:masters", "system:authenticated"]);
    private static readonly UserInfo s_proxy = new("system:kube-proxy", ["system:authenticated"]);

    private static readonly AuditPolicy s_policy = AuditPolicy.Parse(Header + """
        omitStages: [RequestReceived]
        rules:
        - level: None
          users: [system:kube-proxy]
          verbs: [watch]
        - level: None
          resources:
          - group: ""
            resources: [configmaps]
            resourceNames: [controller-leader]
        - level: RequestResponse
          resources:
          - group: ""
            resources: [pods/log, "*/status"]
        - level: Request
          namespaces: [kube-system]
        - level: Metadata
          resources:
          - group: apps
          omitStages: [ResponseStarted]
        - level: None
          nonResourceURLs: ["/api*", /version]
        - level: Metadata
          userGroups: [system:masters]
        """);

    [Theory]
    [InlineData("proxy", "watch", "", "endpoints", null, "default", "", "None")]
    [InlineData("proxy", "list", "", "endpoints", null, "default", "", "None")]
    [InlineData("admin", "update", "", "configmaps", null, "kube-system", "controller-leader", "None")]
    [InlineData("admin", "update", "", "configmaps", null, "kube-system", "other", "Request")]
    [InlineData("admin", "get", "", "pods", "log", "default", "web", "RequestResponse")]
    [InlineData("admin", "update", "", "pods", "status", "default", "web", "RequestResponse")]
    [InlineData("admin", "update", "apps", "deployments", "status", "default", "web", "Metadata")]
    [InlineData("admin", "get", "apps", "deployments", null, "default", "web", "Metadata")]
    [InlineData("admin", "get", "", "pods", null, "default", "web", "Metadata")]
    public void Evaluate_ResourceRequest_FirstMatchingRuleDecides(string who, string verb, string group, string resource, string? subresource, string ns, string name, string level)
    {
        UserInfo user = who == "proxy" ? s_proxy : s_admin;

        AuditDecision decision = s_policy.Evaluate(new AuditRequestAttributes(user, verb, true, group, resource, subresource, ns, name, "/x"));

        Assert.Equal(Enum.Parse<AuditLevel>(level), decision.Level);
    }

    [Fact]
    public void Evaluate_NonResourceUrl_MatchesPrefixPatternsOnly()
    {
        Assert.Equal(AuditLevel.None, s_policy.Evaluate(new AuditRequestAttributes(s_admin, "get", false, "", "", null, "", "", "/apis/apps/v1")).Level);
        Assert.Equal(AuditLevel.None, s_policy.Evaluate(new AuditRequestAttributes(s_admin, "get", false, "", "", null, "", "", "/version")).Level);
        Assert.Equal(AuditLevel.Metadata, s_policy.Evaluate(new AuditRequestAttributes(s_admin, "get", false, "", "", null, "", "", "/versions")).Level);
        // A non-resource request never matches a rule about namespaces.
        Assert.Equal(AuditLevel.None, s_policy.Evaluate(new AuditRequestAttributes(s_proxy, "get", false, "", "", null, "", "", "/healthz")).Level);
    }

    [Fact]
    public void Evaluate_OmitStages_JoinsPolicyAndRuleStages()
    {
        AuditDecision decision = s_policy.Evaluate(new AuditRequestAttributes(s_admin, "watch", true, "apps", "deployments", null, "default", "", "/x"));

        Assert.False(decision.Records(AuditStage.RequestReceived));
        Assert.False(decision.Records(AuditStage.ResponseStarted));
        Assert.True(decision.Records(AuditStage.ResponseComplete));
    }

    [Fact]
    public void Evaluate_NoRules_IsNone()
    {
        AuditDecision decision = AuditPolicy.Parse(Header).Evaluate(new AuditRequestAttributes(s_admin, "get", true, "", "pods", null, "default", "web", "/x"));

        Assert.Equal(AuditLevel.None, decision.Level);
        Assert.False(decision.Records(AuditStage.ResponseComplete));
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: Policy\n", "apiVersion/kind")]
    [InlineData(Header + "rules:\n- users: [a]\n", "rules[0].level: Required value")]
    [InlineData(Header + "rules:\n- level: Everything\n", "rules[0].level: Unsupported value: \"Everything\"")]
    [InlineData(Header + "omitStages: [Done]\n", "omitStages[0]: Unsupported value: \"Done\"")]
    [InlineData(Header + "rules:\n- level: None\n  omitStages: [Done]\n", "rules[0].omitStages[0]: Unsupported value")]
    [InlineData(Header + "rules:\n- level: None\n  nonResourceURLs: [/api]\n  namespaces: [a]\n", "rules[0].nonResourceURLs: Invalid value: rules cannot apply to both")]
    [InlineData(Header + "rules:\n- level: None\n  nonResourceURLs: [api]\n", "rules[0].nonResourceURLs[0]: Invalid value: \"api\"")]
    [InlineData(Header + "rules:\n- level: None\n  resources:\n  - resources: ['*']\n    resourceNames: [a]\n", "rules[0].resources[0].resourceNames: Invalid value")]
    public void Parse_BadField_RefusesNamingTheField(string yaml, string expected)
    {
        AuditPolicyException error = Assert.Throws<AuditPolicyException>(() => AuditPolicy.Parse(yaml));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
