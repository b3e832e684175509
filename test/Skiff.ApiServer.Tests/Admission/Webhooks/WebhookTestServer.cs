using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Tests.Admission.Webhooks;

/// <summary>
/// A real HTTPS admission webhook on loopback: a test CA, a serving certificate for 127.0.0.1 and
/// <c>webhook.demo.svc</c>, and per-path answers the test sets. Every AdmissionReview received is kept.
/// </summary>
internal sealed class WebhookTestServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Func<JsonObject, Task<JsonObject>>> _answers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private WebApplication? _app;

    private WebhookTestServer(X509Certificate2 ca, X509Certificate2 serving)
    {
        Ca = ca;
        Serving = serving;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Serving { get; }

    /// <summary>The CA in PEM, as a webhook's caBundle (base64 in JSON).</summary>
    public string CaBundle => Convert.ToBase64String(Encoding.ASCII.GetBytes(Ca.ExportCertificatePem()));

    public int Port { get; private set; }

    /// <summary>The reviews received, by path, in order.</summary>
    public ConcurrentQueue<(string Path, JsonObject Review)> Received { get; } = new();

    /// <summary>Completes when the stopping token is cancelled (for answers that never come).</summary>
    public CancellationToken Stopping => _stopping.Token;

    public string Url(string path) => $"https://127.0.0.1:{Port}{path}";

    public IEnumerable<JsonObject> ReviewsAt(string path) => Received.Where(r => r.Path == path).Select(r => r.Review);

    public static async Task<WebhookTestServer> StartAsync()
    {
        X509Certificate2 ca = CreateCa();
        X509Certificate2 serving = Issue(ca);
        var server = new WebhookTestServer(ca, serving);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(serving)));
        WebApplication app = builder.Build();
        app.MapPost("/{**path}", server.HandleAsync);
        await app.StartAsync();
        server._app = app;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address).Port;
        return server;
    }

    /// <summary>Answers requests to <paramref name="path"/> with <paramref name="answer"/> (given the request's review).</summary>
    public void On(string path, Func<JsonObject, Task<JsonObject>> answer) => _answers[path] = answer;

    public void On(string path, Func<JsonObject, JsonObject> answer) => _answers[path] = review => Task.FromResult(answer(review));

    /// <summary>An allowing answer, optionally with a JSON patch, warnings and audit annotations.</summary>
    public static JsonObject Allow(JsonObject review, string? patch = null, string[]? warnings = null)
    {
        var response = new JsonObject { ["uid"] = Uid(review), ["allowed"] = true };
        if (patch is not null)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch));
        }

        if (warnings is not null)
        {
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode?)w)]);
        }

        return Review(response);
    }

    public static JsonObject Deny(JsonObject review, int code, string message) =>
        Review(new JsonObject { ["uid"] = Uid(review), ["allowed"] = false, ["status"] = new JsonObject { ["code"] = code, ["message"] = message } });

    public static string Uid(JsonObject review) => review["request"]!["uid"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _stopping.Dispose();
        Ca.Dispose();
        Serving.Dispose();
    }

    private static JsonObject Review(JsonObject response) =>
        new() { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        JsonObject review = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Received.Enqueue((path, review));
        if (!_answers.TryGetValue(path, out Func<JsonObject, Task<JsonObject>>? answer))
        {
            context.Response.StatusCode = 404;
            return;
        }

        JsonObject result = await answer(review);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result.ToJsonString());
    }

    /// <summary>A caBundle of a CA that signed nothing this server presents.</summary>
    public static string UnrelatedCaBundle()
    {
        using X509Certificate2 other = CreateCa();
        return Convert.ToBase64String(Encoding.ASCII.GetBytes(other.ExportCertificatePem()));
    }

    private static X509Certificate2 CreateCa()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=webhook-test-ca", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(2));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=webhook.demo.svc", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("webhook.demo.svc");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 issued = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4]);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
