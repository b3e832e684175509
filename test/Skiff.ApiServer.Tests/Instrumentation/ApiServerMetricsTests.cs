using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.Instrumentation;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.Instrumentation;

public sealed class ApiServerMetricsTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly RegistryHarness _harness = new();

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task InstrumentAsync_ResourceRequest_CountsVerbResourceAndCode()
    {
        var metrics = _harness.Provider.GetRequiredService<ApiServerMetrics>();
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";

        await metrics.InstrumentAsync(context, c =>
        {
            c.Items[typeof(RequestInfo)] = new RequestInfo("get", _harness.Deployments, "demo", "app", "scale");
            c.Response.StatusCode = 404;
            return Task.CompletedTask;
        });

        string text = await ScrapeAsync();
        Assert.Contains("apiserver_request_total{verb=\"GET\",group=\"apps\",version=\"v1\",resource=\"deployments\",subresource=\"scale\",code=\"404\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("apiserver_request_duration_seconds_bucket{verb=\"GET\",group=\"apps\",version=\"v1\",resource=\"deployments\",subresource=\"scale\",le=\"0.005\"}", text, StringComparison.Ordinal);
        // Names and namespaces never become label values.
        Assert.DoesNotContain("\"demo\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"app\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstrumentAsync_HandlerThrows_CountsServerError()
    {
        var metrics = _harness.Provider.GetRequiredService<ApiServerMetrics>();
        var context = new DefaultHttpContext();
        context.Request.Method = "DELETE";

        await Assert.ThrowsAsync<InvalidOperationException>(() => metrics.InstrumentAsync(context, _ => throw new InvalidOperationException("boom")));

        Assert.Contains("apiserver_request_total{verb=\"DELETE\",group=\"\",version=\"\",resource=\"\",subresource=\"\",code=\"500\"} 1", await ScrapeAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_RegistryWrites_RecordStoreLatencyByResource()
    {
        await _harness.CreateNamespaceAsync("demo");
        await _harness.CreateAsync(_harness.Pods, "demo", """{"metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}""");

        string text = await ScrapeAsync();
        Assert.Contains("etcd_request_duration_seconds_count{operation=\"create\",type=\"pods\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("etcd_request_duration_seconds_count{operation=\"get\",type=\"namespaces\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsEndpoint_Anonymous_IsUnauthorizedStatus()
    {
        var endpoint = _harness.Provider.GetRequiredService<MetricsEndpoint>();
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Response.Body = new MemoryStream();

        await endpoint.HandleAsync(context);

        Assert.Equal(401, context.Response.StatusCode);
        string body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("\"kind\":\"Status\"", body, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"Unauthorized\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsEndpoint_ClusterAdmin_ServesPrometheusText()
    {
        await _harness.CreateNamespaceAsync("demo");
        var endpoint = _harness.Provider.GetRequiredService<MetricsEndpoint>();
        using var key = ECDsa.Create();
        using X509Certificate2 certificate = new CertificateRequest("CN=admin, O=system:masters", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(RegistryHarness.Start, RegistryHarness.Start.AddDays(1));
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Connection.ClientCertificate = certificate;
        context.Response.Body = new MemoryStream();

        await endpoint.HandleAsync(context);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.StartsWith("text/plain; version=0.0.4", context.Response.ContentType, StringComparison.Ordinal);
        string body = Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("# TYPE apiserver_storage_objects gauge", body, StringComparison.Ordinal);
        Assert.Contains("apiserver_registered_watchers{group=\"\",version=\"v1\",kind=\"Pod\"} 0", body, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", body, StringComparison.Ordinal);
        // The scrape itself is counted once it finishes, so it shows in the next one.
        Assert.Contains("apiserver_request_total{verb=\"GET\",group=\"\",version=\"\",resource=\"\",subresource=\"\",code=\"200\"} 1", await ScrapeAsync(), StringComparison.Ordinal);
    }

    private async Task<string> ScrapeAsync()
    {
        using var buffer = new MemoryStream();
        await _harness.Provider.GetRequiredService<CollectorRegistry>().CollectAndExportAsTextAsync(buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
