using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Volumes;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

/// <summary>Token renewal, ConfigMap refresh and FailedMount against a canned API (an HTTP handler), on virtual time.</summary>
public sealed class VolumeManagerRefreshTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-refresh-").FullName;
    private readonly FakeTimeProvider _time = new(Start);
    private readonly CannedApi _api;
    private readonly Kubernetes _client;
    private readonly VolumeManager _manager;

    public VolumeManagerRefreshTests()
    {
        _api = new CannedApi(_time);
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }, _api);
        var options = new KubeletOptions { NodeName = "node-1", InternalIp = "127.0.0.1", DataDir = Path.Combine(_dir, "kubelet") };
        _manager = new VolumeManager(_client, options, NullLogger.Instance, _time);
    }

    public void Dispose()
    {
        _manager.Cleanup("uid-1");
        _client.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task RefreshAsync_Token_IsRenewedOnlyAfter80PercentOfItsLifetime()
    {
        V1Pod pod = Pod(new V1Volume
        {
            Name = "api",
            Projected = new V1ProjectedVolumeSource
            {
                Sources = [new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = 1000, Audience = "vault" } }],
            },
        });

        await _manager.PrepareAsync(pod, CancellationToken.None);
        Assert.Equal("token-1", Read("kubernetes.io~projected", "api", "token"));
        JsonObject request = Assert.Single(_api.TokenRequests);
        Assert.Equal(1000, request["spec"]!["expirationSeconds"]!.GetValue<long>());
        Assert.Equal("vault", request["spec"]!["audiences"]![0]!.GetValue<string>());
        Assert.Equal("uid-1", request["spec"]!["boundObjectRef"]!["uid"]!.GetValue<string>());
        Assert.Equal("Pod", request["spec"]!["boundObjectRef"]!["kind"]!.GetValue<string>());
        Assert.Equal("/api/v1/namespaces/shop/serviceaccounts/robot/token", _api.TokenPaths.Single());

        _time.Advance(TimeSpan.FromSeconds(790));
        await _manager.RefreshAsync(pod, CancellationToken.None);
        Assert.Single(_api.TokenRequests);

        _time.Advance(TimeSpan.FromSeconds(11));
        await _manager.RefreshAsync(pod, CancellationToken.None);
        Assert.Equal(2, _api.TokenRequests.Count);
        Assert.Equal("token-2", Read("kubernetes.io~projected", "api", "token"));
    }

    [Fact]
    public async Task RefreshAsync_ChangedConfigMap_IsRewrittenAfterTheInterval_AndMissingOneFailsWithFailedMount()
    {
        _api.ConfigMaps["settings"] = "one";
        V1Pod pod = Pod(
            new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings", Items = [new V1KeyToPath { Key = "value", Path = "conf/value.txt", Mode = 256 }] } });
        await _manager.PrepareAsync(pod, CancellationToken.None);
        Assert.Equal("one", Read("kubernetes.io~configmap", "cfg", "conf/value.txt"));

        _api.ConfigMaps["settings"] = "two";
        _time.Advance(TimeSpan.FromSeconds(1));
        await _manager.RefreshAsync(pod, CancellationToken.None);
        Assert.Equal("one", Read("kubernetes.io~configmap", "cfg", "conf/value.txt"));

        _time.Advance(_manager.RefreshInterval);
        await _manager.RefreshAsync(pod, CancellationToken.None);
        Assert.Equal("two", Read("kubernetes.io~configmap", "cfg", "conf/value.txt"));

        _api.ConfigMaps.TryRemove("settings", out _);
        _time.Advance(_manager.RefreshInterval);
        await _manager.RefreshAsync(pod, CancellationToken.None);
        Assert.Equal("two", Read("kubernetes.io~configmap", "cfg", "conf/value.txt"));

        V1Pod other = Pod(new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "settings" } });
        other.Metadata.Uid = "uid-2";
        VolumeMountException error = await Assert.ThrowsAsync<VolumeMountException>(() => _manager.PrepareAsync(other, CancellationToken.None));
        await Assert.ThrowsAsync<VolumeMountException>(() => _manager.PrepareAsync(other, CancellationToken.None));
        _manager.Cleanup("uid-2");

        Assert.Equal("configmap \"settings\" not found", error.Message);
        JsonObject ev = Assert.Single(_api.Events);
        Assert.Equal("FailedMount", ev["reason"]!.GetValue<string>());
        Assert.Equal("MountVolume.SetUp failed for volume \"cfg\" : configmap \"settings\" not found", ev["message"]!.GetValue<string>());
    }

    private string Read(string plugin, string volume, string path) =>
        File.ReadAllText(Path.Combine(_manager.PodDir("uid-1"), "volumes", plugin, volume, path));

    private static V1Pod Pod(params V1Volume[] volumes) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "shop", Uid = "uid-1" },
        Spec = new V1PodSpec { ServiceAccountName = "robot", Containers = [new V1Container { Name = "app" }], Volumes = volumes },
    };

    /// <summary>Answers TokenRequests (token-1, token-2, ...), ConfigMap GETs from <see cref="ConfigMaps"/> and Event POSTs.</summary>
    private sealed class CannedApi(TimeProvider time) : DelegatingHandler
    {
        public ConcurrentDictionary<string, string> ConfigMaps { get; } = new();

        public List<JsonObject> TokenRequests { get; } = [];

        public List<string> TokenPaths { get; } = [];

        public List<JsonObject> Events { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await AnswerAsync(request, cancellationToken);
            response.RequestMessage = request;
            return response;
        }

        private async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string path = request.RequestUri!.AbsolutePath;
            JsonObject? body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
            if (path.EndsWith("/token", StringComparison.Ordinal))
            {
                TokenRequests.Add(body!);
                TokenPaths.Add(path);
                long seconds = body!["spec"]!["expirationSeconds"]!.GetValue<long>();
                body["status"] = new JsonObject
                {
                    ["token"] = "token-" + TokenRequests.Count,
                    ["expirationTimestamp"] = time.GetUtcNow().AddSeconds(seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                };
                return Json(HttpStatusCode.Created, body);
            }

            if (path.Contains("/configmaps/", StringComparison.Ordinal))
            {
                string name = path[(path.LastIndexOf('/') + 1)..];
                return ConfigMaps.TryGetValue(name, out string? value)
                    ? Json(HttpStatusCode.OK, new JsonObject { ["kind"] = "ConfigMap", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["value"] = value } })
                    : Json(HttpStatusCode.NotFound, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = "NotFound", ["code"] = 404 });
            }

            if (path.EndsWith("/events", StringComparison.Ordinal))
            {
                Events.Add(body!);
                return Json(HttpStatusCode.Created, body!);
            }

            return Json(HttpStatusCode.NotFound, new JsonObject { ["kind"] = "Status", ["code"] = 404 });
        }

        private static HttpResponseMessage Json(HttpStatusCode code, JsonObject body) =>
            new(code) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    }
}
