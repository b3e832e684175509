using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.Tests.Registry;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Tests.Authentication;

/// <summary>
/// Bound service-account tokens through the API handler, as a client sees them: TokenRequest, a request with the token,
/// TokenReview, on a fake clock over the in-memory store.
/// </summary>
public sealed class ServiceAccountTokensTests : IAsyncLifetime, IAsyncDisposable
{
    private const string Issuer = "https://kubernetes.default.svc.cluster.local";
    private const string Invalidated = "[invalid bearer token, service account token has been invalidated]";

    private readonly RSA _key = RSA.Create(2048);
    private readonly RegistryHarness _harness;
    private readonly X509Certificate2 _admin;
    private readonly ApiHandler _handler;

    public ServiceAccountTokensTests()
    {
        _harness = new RegistryHarness(o =>
        {
            o.ServiceAccountKey = _key;
            o.ServiceAccountMaxTokenExpiration = TimeSpan.FromHours(2);
        });
        using var adminKey = ECDsa.Create();
        _admin = new CertificateRequest("CN=admin, O=system:masters", adminKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(RegistryHarness.Start.AddDays(-1), RegistryHarness.Start.AddDays(30));
        _handler = _harness.Provider.GetRequiredService<ApiHandler>();
    }

    public async Task InitializeAsync()
    {
        // The default roles (system:basic-user lets every authenticated user ask who it is), as the server creates them.
        await _harness.CreateNamespaceAsync("kube-system");
        await _harness.Provider.GetRequiredService<Skiff.ApiServer.Authorization.PolicyBootstrap>().EnsureAsync(CancellationToken.None);
        await _harness.CreateNamespaceAsync("demo");
        await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts", """{"metadata":{"name":"robot"}}""");
        await SendAsync("POST", "/api/v1/namespaces/demo/pods", """{"metadata":{"name":"web"},"spec":{"serviceAccountName":"robot","containers":[{"name":"app","image":"busybox"}]}}""");
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        _admin.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task BoundToPod_AuthenticatesUntilThePodIsDeleted_ThenIsRefused()
    {
        // The watch cache runs, so lookups are served from it as in the server.
        var cache = _harness.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        try
        {
            await cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
            string podUid = await PodUidAsync("web");
            (int created, JsonObject answer) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", BoundTo("Pod", "web", podUid));
            string token = answer["status"]!["token"]!.GetValue<string>();

            (int whoamiCode, JsonObject whoami) = await SendAsync("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", token);
            JsonObject review = await ReviewAsync(token);

            Assert.Equal(201, created);
            Assert.Equal(Issuer, answer["spec"]!["audiences"]![0]!.GetValue<string>());
            Assert.Equal(201, whoamiCode);
            Assert.Equal("system:serviceaccount:demo:robot", whoami["status"]!["userInfo"]!["username"]!.GetValue<string>());
            Assert.True(review["authenticated"]!.GetValue<bool>());
            Assert.Equal("system:serviceaccount:demo:robot", review["user"]!["username"]!.GetValue<string>());
            Assert.Contains("system:serviceaccounts:demo", review["user"]!["groups"]!.AsArray().Select(g => g!.GetValue<string>()));
            Assert.Equal("web", review["user"]!["extra"]!["authentication.kubernetes.io/pod-name"]![0]!.GetValue<string>());
            Assert.Equal(podUid, review["user"]!["extra"]!["authentication.kubernetes.io/pod-uid"]![0]!.GetValue<string>());
            string jti = Claims(token)["jti"]!.GetValue<string>();
            Assert.Equal("JTI=" + jti, review["user"]!["extra"]!["authentication.kubernetes.io/credential-id"]![0]!.GetValue<string>());
            Assert.Equal(Issuer, review["audiences"]![0]!.GetValue<string>());

            // Not yet scheduled, so the pod goes at once.
            await SendAsync("DELETE", "/api/v1/namespaces/demo/pods/web", null);
            await cache.SyncAsync(CancellationToken.None);

            (int refusedCode, JsonObject refused) = await SendAsync("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""", token);
            JsonObject after = await ReviewAsync(token);
            Assert.Equal(401, refusedCode);
            Assert.Equal("Unauthorized", refused["reason"]!.GetValue<string>());
            Assert.False(after["authenticated"]!.GetValue<bool>());
            Assert.Equal(Invalidated, after["error"]!.GetValue<string>());
            Assert.Null(after["user"]);
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task BoundToPod_PodRecreatedUnderTheSameName_IsRefusedForTheUidMismatch()
    {
        string oldUid = await PodUidAsync("web");
        string token = await TokenAsync(BoundTo("Pod", "web", oldUid));
        await SendAsync("DELETE", "/api/v1/namespaces/demo/pods/web", null);
        await SendAsync("POST", "/api/v1/namespaces/demo/pods", """{"metadata":{"name":"web"},"spec":{"serviceAccountName":"robot","containers":[{"name":"app","image":"busybox"}]}}""");
        string newUid = await PodUidAsync("web");

        JsonObject review = await ReviewAsync(token);

        Assert.NotEqual(oldUid, newUid);
        Assert.False(review["authenticated"]!.GetValue<bool>());
        Assert.Equal($"[invalid bearer token, pod UID ({newUid}) does not match service account pod ref claim ({oldUid})]", review["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Expired_IsRefusedAfterTheLeewayOfOneMinute()
    {
        string token = await TokenAsync("""{"spec":{"expirationSeconds":600}}""");

        _harness.Time.Advance(TimeSpan.FromSeconds(600 + 50));
        JsonObject withinLeeway = await ReviewAsync(token);
        _harness.Time.Advance(TimeSpan.FromSeconds(20));
        (int code, _) = await SendAsync("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"kind":"SelfSubjectReview"}""", token);
        JsonObject expired = await ReviewAsync(token);

        Assert.True(withinLeeway["authenticated"]!.GetValue<bool>());
        Assert.Equal(401, code);
        Assert.False(expired["authenticated"]!.GetValue<bool>());
        Assert.Equal("[invalid bearer token, service account token has expired]", expired["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task OtherAudience_IsRefusedByTheApiServer_ButReviewedForThatAudience()
    {
        string token = await TokenAsync("""{"spec":{"audiences":["vault"]}}""");

        (int code, _) = await SendAsync("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", """{"kind":"SelfSubjectReview"}""", token);
        JsonObject forApi = await ReviewAsync(token);
        JsonObject forVault = await ReviewAsync(token, "vault");
        JsonObject apiTokenForVault = await ReviewAsync(await TokenAsync("{}"), "vault");

        Assert.Equal(401, code);
        Assert.False(forApi["authenticated"]!.GetValue<bool>());
        Assert.Equal($"[invalid bearer token, token audiences [\"vault\"] is invalid for the target audiences [\"{Issuer}\"]]", forApi["error"]!.GetValue<string>());
        Assert.True(forVault["authenticated"]!.GetValue<bool>());
        Assert.Equal("vault", Assert.Single(forVault["audiences"]!.AsArray())!.GetValue<string>());
        Assert.False(apiTokenForVault["authenticated"]!.GetValue<bool>());
        Assert.Equal($"[invalid bearer token, token audiences [\"{Issuer}\"] is invalid for the target audiences [\"vault\"]]", apiTokenForVault["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task TokenRequest_BoundObjectUidMismatch_IsConflict()
    {
        (int code, JsonObject status) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", BoundTo("Pod", "web", "00000000-0000-0000-0000-000000000000"));

        Assert.Equal(409, code);
        Assert.Equal("Conflict", status["reason"]!.GetValue<string>());
        Assert.Equal(
            "Operation cannot be fulfilled on Pod \"web\": the UID in the bound object reference (00000000-0000-0000-0000-000000000000) does not match the UID in record. The object might have been deleted and then recreated",
            status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task TokenRequest_MissingPodOrOtherAccountOrKind_IsRefusedAsUpstream()
    {
        (int missingCode, JsonObject missing) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", BoundTo("Pod", "ghost", string.Empty));
        await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts", """{"metadata":{"name":"other"}}""");
        (int otherCode, JsonObject other) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/other/token", BoundTo("Pod", "web", string.Empty));
        (int kindCode, JsonObject kind) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", BoundTo("ConfigMap", "web", string.Empty));

        Assert.Equal((404, "pods \"ghost\" not found"), (missingCode, missing["message"]!.GetValue<string>()));
        Assert.Equal((400, "cannot bind token for serviceaccount \"other\" to pod running with different serviceaccount name."), (otherCode, other["message"]!.GetValue<string>()));
        Assert.Equal((400, "cannot bind token for serviceaccount \"robot\" to object of type /v1, Kind=ConfigMap"), (kindCode, kind["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task BoundToSecret_IsRefusedOnceTheSecretIsDeleted()
    {
        (_, JsonObject secret) = await SendAsync("POST", "/api/v1/namespaces/demo/secrets", """{"metadata":{"name":"holder"}}""");
        string token = await TokenAsync(BoundTo("Secret", "holder", secret["metadata"]!["uid"]!.GetValue<string>()));
        JsonObject before = await ReviewAsync(token);

        await SendAsync("DELETE", "/api/v1/namespaces/demo/secrets/holder", null);
        JsonObject after = await ReviewAsync(token);

        Assert.True(before["authenticated"]!.GetValue<bool>());
        Assert.Equal((false, Invalidated), (after["authenticated"]!.GetValue<bool>(), after["error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task BoundToScheduledPod_NamesThePodsNode()
    {
        (_, JsonObject node) = await SendAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"node-1"}}""");
        await SendAsync("POST", "/api/v1/namespaces/demo/pods", """{"metadata":{"name":"placed"},"spec":{"nodeName":"node-1","serviceAccountName":"robot","containers":[{"name":"app","image":"busybox"}]}}""");
        string token = await TokenAsync(BoundTo("Pod", "placed", string.Empty));

        JsonObject review = await ReviewAsync(token);

        JsonNode claimed = Claims(token)["kubernetes.io"]!["node"]!;
        Assert.Equal(("node-1", node["metadata"]!["uid"]!.GetValue<string>()), (claimed["name"]!.GetValue<string>(), claimed["uid"]!.GetValue<string>()));
        Assert.Equal("node-1", review["user"]!["extra"]!["authentication.kubernetes.io/node-name"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task TokenRequest_LongerThanTheMaximum_IsShortenedWithAWarning()
    {
        var context = Context("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", """{"spec":{"expirationSeconds":86400}}""", null);

        await _handler.HandleAsync(context);

        JsonObject answer = Body(context);
        Assert.Equal(7200, answer["spec"]!["expirationSeconds"]!.GetValue<long>());
        Assert.Equal("299 - \"requested expiration of 86400 seconds shortened to 7200 seconds\"", context.Response.Headers["Warning"].ToString());
        string token = answer["status"]!["token"]!.GetValue<string>();
        Assert.Equal(7200, Claims(token)["exp"]!.GetValue<long>() - Claims(token)["iat"]!.GetValue<long>());
    }

    [Fact]
    public async Task TokenWithoutExp_IsRefused()
    {
        string token = await TokenAsync("""{"spec":{}}""");
        string[] parts = token.Split('.');
        JsonObject claims = Claims(token);
        claims.Remove("exp");
        string input = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        string forged = input + "." + System.Buffers.Text.Base64Url.EncodeToString(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        JsonObject review = await ReviewAsync(forged);

        Assert.True((await ReviewAsync(token))["authenticated"]!.GetValue<bool>());
        Assert.False(review["authenticated"]!.GetValue<bool>());
        Assert.Equal("[invalid bearer token, service account token has no expiration]", review["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, "node requested token not bound to a pod")]
    [InlineData("b", "node requested token bound to a pod scheduled on a different node")]
    [InlineData("a", null)]
    public async Task TokenRequest_ByNode_NeedsABindingToAPodOnThatNode(string? podNode, string? refusal)
    {
        var cache = _harness.Provider.GetRequiredService<ApiWatchCache>();
        await cache.StartAsync(CancellationToken.None);
        try
        {
            await cache.Ready.WaitAsync(TimeSpan.FromSeconds(30));
            await SendAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"a"}}""");
            await SendAsync("POST", "/api/v1/nodes", """{"metadata":{"name":"b"}}""");
            await SendAsync("POST", "/api/v1/namespaces/demo/pods", """{"metadata":{"name":"on-a"},"spec":{"nodeName":"a","serviceAccountName":"robot","containers":[{"name":"app","image":"busybox"}]}}""");
            await SendAsync("POST", "/api/v1/namespaces/demo/pods", """{"metadata":{"name":"on-b"},"spec":{"nodeName":"b","serviceAccountName":"robot","containers":[{"name":"app","image":"busybox"}]}}""");
            await cache.SyncAsync(CancellationToken.None);
            string body = podNode is null ? """{"spec":{}}""" : BoundTo("Pod", "on-" + podNode, await PodUidAsync("on-" + podNode));
            using var nodeKey = ECDsa.Create();
            using X509Certificate2 nodeCert = new CertificateRequest("CN=system:node:a, O=system:nodes", nodeKey, HashAlgorithmName.SHA256)
                .CreateSelfSigned(RegistryHarness.Start.AddDays(-1), RegistryHarness.Start.AddDays(30));

            DefaultHttpContext context = Context("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", body, null);
            context.Connection.ClientCertificate = nodeCert;
            await _handler.HandleAsync(context);
            JsonObject answer = Body(context);

            if (refusal is null)
            {
                Assert.Equal(201, context.Response.StatusCode);
                Assert.Equal("a", Claims(answer["status"]!["token"]!.GetValue<string>())["kubernetes.io"]!["node"]!["name"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal(403, context.Response.StatusCode);
                Assert.Equal("serviceaccounts \"robot\" is forbidden: " + refusal, answer["message"]!.GetValue<string>());
            }
        }
        finally
        {
            await cache.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task LocalSubjectAccessReview_OtherNamespaceOrNonResource_IsInvalid()
    {
        const string Path = "/apis/authorization.k8s.io/v1/namespaces/demo/localsubjectaccessreviews";
        (int otherCode, JsonObject other) = await SendAsync("POST", Path, """{"spec":{"user":"jane","resourceAttributes":{"namespace":"kube-system","verb":"get","resource":"secrets"}}}""");
        (int urlCode, JsonObject url) = await SendAsync("POST", Path, """{"spec":{"user":"jane","nonResourceAttributes":{"path":"/healthz","verb":"get"}}}""");
        (int okCode, _) = await SendAsync("POST", Path, """{"spec":{"user":"jane","resourceAttributes":{"namespace":"demo","verb":"get","resource":"pods"}}}""");

        Assert.Equal(422, otherCode);
        Assert.Equal("LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes.namespace: Invalid value: \"kube-system\": must match metadata.namespace", other["message"]!.GetValue<string>());
        Assert.Equal(422, urlCode);
        Assert.Equal("LocalSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:\"/healthz\", Verb:\"get\"}: disallowed on this kind of request", url["message"]!.GetValue<string>());
        Assert.Equal(201, okCode);
    }

    private static string BoundTo(string kind, string name, string uid) =>
        new JsonObject
        {
            ["spec"] = new JsonObject { ["boundObjectRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = kind, ["name"] = name, ["uid"] = uid } },
        }.ToJsonString();

    private async Task<string> PodUidAsync(string name) =>
        (await _harness.GetAsync(_harness.Pods, "demo", name))["metadata"]!["uid"]!.GetValue<string>();

    private async Task<string> TokenAsync(string request)
    {
        (int code, JsonObject answer) = await SendAsync("POST", "/api/v1/namespaces/demo/serviceaccounts/robot/token", request);
        Assert.True(code == 201, answer.ToJsonString());
        return answer["status"]!["token"]!.GetValue<string>();
    }

    private async Task<JsonObject> ReviewAsync(string token, params string[] audiences)
    {
        var spec = new JsonObject { ["token"] = token };
        if (audiences.Length > 0)
        {
            spec["audiences"] = new JsonArray([.. audiences.Select(a => JsonValue.Create(a))]);
        }

        var review = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["spec"] = spec };
        (int code, JsonObject answer) = await SendAsync("POST", "/apis/authentication.k8s.io/v1/tokenreviews", review.ToJsonString());
        Assert.Equal(201, code);
        return answer["status"]!.AsObject();
    }

    private static JsonObject Claims(string token) =>
        JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]))!.AsObject();

    /// <summary>Sends a request as the admin (client certificate) or, with <paramref name="token"/>, as that bearer.</summary>
    private async Task<(int Code, JsonObject Body)> SendAsync(string method, string path, string? body, string? token = null)
    {
        DefaultHttpContext context = Context(method, path, body, token);
        await _handler.HandleAsync(context);
        return (context.Response.StatusCode, Body(context));
    }

    private DefaultHttpContext Context(string method, string path, string? body, string? token)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        if (token is null)
        {
            context.Connection.ClientCertificate = _admin;
        }
        else
        {
            context.Request.Headers.Authorization = "Bearer " + token;
        }

        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        context.Response.Body = new MemoryStream();
        return context;
    }

    private static JsonObject Body(DefaultHttpContext context) =>
        JsonNode.Parse(Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()))!.AsObject();
}
