using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Skiff.ApiServer.Tests.Audit;

public sealed class AuditEventTests
{
    private const string ConfigMap = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"color":"blue"}}""";

    private static string Policy(string level) => $"apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: {level}\n";

    [Fact]
    public async Task HandleAsync_CreateAtMetadata_WritesBothStagesWithoutBodies()
    {
        await using var harness = new AuditHarness(Policy("Metadata"));
        await harness.StartAsync();

        HttpContext response = await harness.SendAsync("POST", "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create", ConfigMap);

        List<JsonObject> events = await harness.EventsAsync();
        Assert.Equal(["RequestReceived", "ResponseComplete"], events.Select(e => e["stage"]!.GetValue<string>()));
        JsonObject complete = events[1];
        Assert.Equal("audit.k8s.io/v1", complete["apiVersion"]!.GetValue<string>());
        Assert.Equal("Event", complete["kind"]!.GetValue<string>());
        Assert.Equal("Metadata", complete["level"]!.GetValue<string>());
        Assert.Equal(response.Response.Headers["Audit-ID"].ToString(), complete["auditID"]!.GetValue<string>());
        Assert.Equal(events[0]["auditID"]!.GetValue<string>(), complete["auditID"]!.GetValue<string>());
        Assert.Equal("/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create", complete["requestURI"]!.GetValue<string>());
        Assert.Equal("create", complete["verb"]!.GetValue<string>());
        Assert.Equal("admin", complete["user"]!["username"]!.GetValue<string>());
        Assert.Equal(["system:masters", "system:authenticated"], complete["user"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.Equal(["192.0.2.7"], complete["sourceIPs"]!.AsArray().Select(g => g!.GetValue<string>()));
        Assert.StartsWith("kubectl/v1.32.0", complete["userAgent"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""{"resource":"configmaps","namespace":"demo","name":"settings","apiVersion":"v1"}""", complete["objectRef"]!.ToJsonString());
        Assert.Equal("""{"metadata":{},"code":201}""", complete["responseStatus"]!.ToJsonString());
        Assert.Equal("allow", complete["annotations"]!["authorization.k8s.io/decision"]!.GetValue<string>());
        Assert.Null(complete["requestObject"]);
        Assert.Null(complete["responseObject"]);
        Assert.Null(events[0]["responseStatus"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", complete["stageTimestamp"]!.GetValue<string>());
        Assert.Equal(events[0]["requestReceivedTimestamp"]!.GetValue<string>(), complete["requestReceivedTimestamp"]!.GetValue<string>());
    }

    [Fact]
    public async Task HandleAsync_CreateAtRequest_RecordsRequestObjectOnly()
    {
        await using var harness = new AuditHarness(Policy("Request"));
        await harness.StartAsync();

        await harness.SendAsync("POST", "/api/v1/namespaces/demo/configmaps", ConfigMap);

        JsonObject complete = (await harness.EventsAsync()).Single(e => e["stage"]!.GetValue<string>() == "ResponseComplete");
        Assert.Equal("Request", complete["level"]!.GetValue<string>());
        Assert.Equal("blue", complete["requestObject"]!["data"]!["color"]!.GetValue<string>());
        Assert.Null(complete["requestObject"]!["metadata"]!["uid"]);
        Assert.Null(complete["responseObject"]);
    }

    [Fact]
    public async Task HandleAsync_CreateAtRequestResponse_RecordsTheStoredObjectAsResponse()
    {
        await using var harness = new AuditHarness(Policy("RequestResponse") + "omitStages: [RequestReceived]\n");
        await harness.StartAsync();

        HttpContext response = await harness.SendAsync("POST", "/api/v1/namespaces/demo/configmaps", ConfigMap);

        JsonObject complete = (await harness.EventsAsync()).Single();
        Assert.Equal("ResponseComplete", complete["stage"]!.GetValue<string>());
        Assert.Equal("blue", complete["requestObject"]!["data"]!["color"]!.GetValue<string>());
        JsonNode stored = JsonNode.Parse(((MemoryStream)response.Response.Body).ToArray())!;
        Assert.Equal(stored["metadata"]!["uid"]!.GetValue<string>(), complete["responseObject"]!["metadata"]!["uid"]!.GetValue<string>());
    }

    [Fact]
    public async Task HandleAsync_NotFound_RecordsStatusWithCode()
    {
        await using var harness = new AuditHarness(Policy("Metadata"));
        await harness.StartAsync();

        await harness.SendAsync("GET", "/api/v1/namespaces/demo/configmaps/missing");

        JsonObject complete = (await harness.EventsAsync()).Last();
        Assert.Equal("""{"resource":"configmaps","namespace":"demo","name":"missing","apiVersion":"v1"}""", complete["objectRef"]!.ToJsonString());
        Assert.Equal(404, complete["responseStatus"]!["code"]!.GetValue<int>());
        Assert.Equal("NotFound", complete["responseStatus"]!["reason"]!.GetValue<string>());
        Assert.Equal("Failure", complete["responseStatus"]!["status"]!.GetValue<string>());
        Assert.Equal("configmaps \"missing\" not found", complete["responseStatus"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task HandleAsync_Forbidden_RecordsDecisionAndCode()
    {
        await using var harness = new AuditHarness(Policy("Metadata"));
        await harness.StartAsync();

        await harness.SendAsync("DELETE", "/api/v1/namespaces/demo/configmaps/any", user: "alice", groups: []);

        List<JsonObject> events = await harness.EventsAsync();
        Assert.Null(events[0]["annotations"]);
        JsonObject complete = events[1];
        Assert.Equal("alice", complete["user"]!["username"]!.GetValue<string>());
        Assert.Equal(403, complete["responseStatus"]!["code"]!.GetValue<int>());
        Assert.Equal("Forbidden", complete["responseStatus"]!["reason"]!.GetValue<string>());
        Assert.Equal("forbid", complete["annotations"]!["authorization.k8s.io/decision"]!.GetValue<string>());
    }

    [Fact]
    public async Task HandleAsync_RuleAtNone_WritesNothingButStillSendsAuditId()
    {
        await using var harness = new AuditHarness("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [configmaps]\n- level: Metadata\n");
        await harness.StartAsync();

        HttpContext response = await harness.SendAsync("GET", "/api/v1/namespaces/demo/configmaps/missing");
        await harness.SendAsync("GET", "/api/v1/namespaces/demo/secrets/missing");

        List<JsonObject> events = await harness.EventsAsync();
        Assert.True(Guid.TryParse(response.Response.Headers["Audit-ID"].ToString(), out _));
        Assert.All(events, e => Assert.Equal("secrets", e["objectRef"]!["resource"]!.GetValue<string>()));
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task HandleAsync_ImpersonationHeaders_ImpersonatedUserAppearsBesideTheRequester()
    {
        await using var harness = new AuditHarness(Policy("Metadata") + "omitStages: [RequestReceived]\n");
        await harness.StartAsync();

        await harness.SendAsync(
            "GET", "/api/v1/namespaces/demo/configmaps/missing",
            prepare: c =>
            {
                c.Request.Headers["Impersonate-User"] = "bob";
                c.Request.Headers["Impersonate-Group"] = "dev";
            });

        JsonObject complete = (await harness.EventsAsync()).Single();
        Assert.Equal("admin", complete["user"]!["username"]!.GetValue<string>());
        Assert.Equal("""{"username":"bob","groups":["dev","system:authenticated"]}""", complete["impersonatedUser"]!.ToJsonString());
    }
}
