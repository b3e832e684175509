using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Endpoints;

namespace Skiff.ApiServer.Audit;

/// <summary>
/// One request's audit state, kept in <c>HttpContext.Items[typeof(AuditScope)]</c> while a policy is configured: who asked,
/// the authorization decision, audit annotations, and the request and response bodies, until the stages' events are written.
/// The handler feeds it at fixed points (authentication, authorization, body read, response written); each is a no-op when
/// auditing is off (<see cref="Of"/> returns null).
/// </summary>
/// <remarks>
/// The event's <c>user</c> is the authenticated requester given to <see cref="Authenticated"/> (the policy matches on that
/// user, as upstream's does); a request that impersonates also carries the user it acts as (<see cref="Impersonated"/>).
/// </remarks>
internal sealed partial class AuditScope
{
    private readonly HttpContext _context;
    private readonly AuditRecorder _recorder;
    private AuditDecision? _decision;
    private bool _receivedWritten;
    private bool _startedWritten;
    private byte[]? _requestBody;
    private string? _requestMediaType;
    private JsonNode? _responseObject;
    private V1Status? _responseStatus;

    public AuditScope(HttpContext context, AuditRecorder recorder, string auditId, DateTimeOffset received)
    {
        _context = context;
        _recorder = recorder;
        AuditId = auditId;
        Received = received;
    }

    public string AuditId { get; }

    public DateTimeOffset Received { get; }

    /// <summary>The authenticated requester; null until authentication succeeds.</summary>
    public UserInfo? User { get; private set; }

    /// <summary>The event's annotations: the authorization decision and what admission plugins add (shared with the write).</summary>
    public Dictionary<string, string> Annotations { get; } = new(StringComparer.Ordinal);

    /// <summary>The request's audit scope, or null when auditing is off.</summary>
    public static AuditScope? Of(HttpContext? context) =>
        context is not null && context.Items.TryGetValue(typeof(AuditScope), out object? scope) ? scope as AuditScope : null;

    /// <summary>The annotations admission may add to for this request (a throwaway dictionary when auditing is off).</summary>
    public static Dictionary<string, string> AnnotationsOf(HttpContext context) => Of(context)?.Annotations ?? new(StringComparer.Ordinal);

    /// <summary>The user the requester acts as through impersonation headers; null when it does not impersonate.</summary>
    public UserInfo? ImpersonatedUser { get; private set; }

    /// <summary>Authentication succeeded: the event's <c>user</c>.</summary>
    public void Authenticated(UserInfo user) => User = user;

    /// <summary>Impersonation succeeded: the event's <c>impersonatedUser</c>.</summary>
    public void Impersonated(UserInfo user) => ImpersonatedUser = user;

    /// <summary>
    /// The authorizer decided. The RequestReceived event is written first (upstream writes it before authorization), then
    /// the decision is kept as <c>authorization.k8s.io/decision</c> and <c>/reason</c> for the later stages.
    /// </summary>
    public void Authorized(bool allowed, string reason)
    {
        EnsureReceived();
        Annotations["authorization.k8s.io/decision"] = allowed ? "allow" : "forbid";
        Annotations["authorization.k8s.io/reason"] = reason;
    }

    /// <summary>The request body as read (JSON, YAML or protobuf), for <c>requestObject</c>.</summary>
    public void RequestBody(byte[] body, string mediaType)
    {
        _requestBody = body;
        _requestMediaType = mediaType;
    }

    /// <summary>The object or list written as the response, for <c>responseObject</c>.</summary>
    public void ResponseObject(JsonNode body) => _responseObject = body;

    /// <summary>A Status written as the response, for <c>responseStatus</c> and <c>responseObject</c>.</summary>
    public void ResponseStatus(V1Status status) => _responseStatus = status;

    /// <summary>The response headers are going out: long-running requests (watch, exec, attach, port-forward) get ResponseStarted.</summary>
    public void Started()
    {
        if (_startedWritten || _context.Items[typeof(RequestInfo)] is not RequestInfo { } request
            || !(request.Verb == "watch" || request.Subresource is "exec" or "attach" or "portforward" or "proxy"))
        {
            return;
        }

        EnsureReceived();
        _startedWritten = true;
        Write(AuditStage.ResponseStarted, null);
    }

    /// <summary>The request is over: ResponseComplete, or Panic when an unexpected exception ended it.</summary>
    public void Complete(Exception? panic)
    {
        EnsureReceived();
        Write(panic is null ? AuditStage.ResponseComplete : AuditStage.Panic, panic);
    }

    private void EnsureReceived()
    {
        if (!_receivedWritten)
        {
            _receivedWritten = true;
            Write(AuditStage.RequestReceived, null);
        }
    }

    private void Write(AuditStage stage, Exception? panic)
    {
        _decision ??= _recorder.Evaluate(Attributes());
        if (_decision.Records(stage))
        {
            _recorder.Emit(Event(stage, _decision, panic));
        }
    }

    /// <summary>Upstream's verb of a non-resource request: the HTTP method in lower case.</summary>
    private static string NonResourceVerb(string method) => method switch
    {
        "GET" => "get",
        "HEAD" => "head",
        "POST" => "post",
        "PUT" => "put",
        "PATCH" => "patch",
        "DELETE" => "delete",
        "OPTIONS" => "options",
        _ => method,
    };

    private AuditRequestAttributes Attributes()
    {
        if (_context.Items[typeof(RequestInfo)] is RequestInfo request)
        {
            return new AuditRequestAttributes(
                User, request.Verb, true, request.Resource.Group, request.Resource.Plural, request.Subresource, request.Namespace ?? string.Empty, request.Name ?? string.Empty, _context.Request.Path);
        }

        return new AuditRequestAttributes(
            User, NonResourceVerb(_context.Request.Method), false, string.Empty, string.Empty, null, string.Empty, string.Empty, _context.Request.Path);
    }
}
