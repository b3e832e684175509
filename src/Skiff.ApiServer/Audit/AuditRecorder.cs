using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Skiff.ApiServer.Audit;

/// <summary>
/// Audits API requests (upstream's WithAudit filter): gives each request an audit ID (the client's <c>Audit-ID</c> header,
/// else a new one, always sent back as <c>Audit-ID</c>), and, with a policy and a log path, an <see cref="AuditScope"/> whose
/// events go to the <see cref="AuditLogWriter"/>. Without a policy file nothing is audited.
/// </summary>
internal sealed class AuditRecorder
{
    public const string AuditIdHeader = "Audit-ID";

    // Quotes in messages come out as \" as in upstream's log, not \u0022 (the file is no HTML page).
    private static readonly JsonSerializerOptions s_lineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AuditPolicy? _policy;
    private readonly AuditLogWriter _writer;
    private readonly TimeProvider _timeProvider;

    public AuditRecorder(IOptions<ApiServerOptions> options, AuditLogWriter writer, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(writer);
        _policy = writer.Enabled ? options.Value.AuditPolicy : null;
        _writer = writer;
        _timeProvider = timeProvider;
    }

    internal DateTimeOffset Now => _timeProvider.GetUtcNow();

    /// <summary>Runs <paramref name="handler"/> for the request with its audit scope, writing the stages' events.</summary>
    public async Task RecordAsync(HttpContext context, Func<HttpContext, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        string? given = context.Request.Headers[AuditIdHeader];
        string auditId = string.IsNullOrWhiteSpace(given) ? Guid.NewGuid().ToString() : given;
        context.Response.Headers[AuditIdHeader] = auditId;
        if (_policy is null)
        {
            await handler(context);
            return;
        }

        var scope = new AuditScope(context, this, auditId, _timeProvider.GetUtcNow());
        context.Items[typeof(AuditScope)] = scope;
        context.Response.OnStarting(() =>
        {
            scope.Started();
            return Task.CompletedTask;
        });
        try
        {
            await handler(context);
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            scope.Complete(e);
            throw;
        }

        scope.Complete(null);
    }

    internal AuditDecision Evaluate(AuditRequestAttributes attributes) => _policy?.Evaluate(attributes) ?? AuditDecision.None;

    internal void Emit(JsonObject auditEvent) => _writer.Write(auditEvent.ToJsonString(s_lineOptions));
}
