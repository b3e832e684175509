using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ApiServer.Audit;
using Skiff.ApiServer.Endpoints;
using Skiff.ApiServer.Tests.Registry;

namespace Skiff.ApiServer.Tests.Audit;

/// <summary>
/// The real API handler, composed as the server composes it, with an audit policy and a log file in a temporary directory.
/// Requests are driven through <see cref="ApiHandler.HandleAsync"/> with a client certificate as Kestrel would hand it over.
/// </summary>
internal sealed class AuditHarness : IAsyncDisposable
{
    private readonly RegistryHarness _registry;
    private readonly AuditLogWriter _writer;
    private readonly ApiHandler _handler;

    public AuditHarness(string policy, Action<IServiceCollection>? register = null)
    {
        LogPath = Path.Combine(Directory.CreateTempSubdirectory("skiff-audit-").FullName, "audit.log");
        _registry = new RegistryHarness(o =>
        {
            o.AuditPolicy = AuditPolicy.Parse(policy);
            o.AuditLogPath = LogPath;
        }, register);
        _writer = _registry.Provider.GetRequiredService<AuditLogWriter>();
        _handler = _registry.Provider.GetRequiredService<ApiHandler>();
    }

    public string LogPath { get; }

    public Task StartAsync() => Task.WhenAll(_registry.CreateNamespaceAsync("demo"), _writer.StartAsync(CancellationToken.None));

    /// <summary>Sends one request as <paramref name="user"/> (certificate CN) in <paramref name="groups"/> (O); returns the response.</summary>
    public async Task<HttpContext> SendAsync(string method, string path, string? body = null, string user = "admin", string[]? groups = null, Action<HttpContext>? prepare = null)
    {
        using RSA key = RSA.Create(2048);
        string subject = $"CN={user}" + string.Concat((groups ?? ["system:masters"]).Select(g => $", O={g}"));
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(5));
        var context = new DefaultHttpContext();
        context.Connection.ClientCertificate = certificate;
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        int query = path.IndexOf('?', StringComparison.Ordinal);
        context.Request.Method = method;
        context.Request.Path = query < 0 ? path : path[..query];
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(path[query..]);
        context.Request.Headers.UserAgent = "kubectl/v1.32.0 (linux/amd64) kubernetes/audit-test";
        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        context.Response.Body = new MemoryStream();
        prepare?.Invoke(context);
        await _handler.HandleAsync(context);
        return context;
    }

    /// <summary>Stops the writer (which flushes) and returns every event written, in order.</summary>
    public async Task<List<JsonObject>> EventsAsync()
    {
        await _writer.StopAsync(CancellationToken.None);
        return [.. (await File.ReadAllLinesAsync(LogPath)).Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.StopAsync(CancellationToken.None);
        await _registry.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(LogPath)!, recursive: true);
    }
}
