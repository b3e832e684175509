using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Skiff.ApiServer.Endpoints;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Audit;

internal sealed partial class AuditScope
{
    /// <summary>One <c>audit.k8s.io/v1</c> Event, with upstream's field names and order.</summary>
    private JsonObject Event(AuditStage stage, AuditDecision decision, Exception? panic)
    {
        var result = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = "audit.k8s.io/v1",
            ["level"] = decision.Level.ToString(),
            ["auditID"] = AuditId,
            ["stage"] = stage.ToString(),
            ["requestURI"] = RequestUri(),
            ["verb"] = Attributes().Verb,
            ["user"] = User is null ? new JsonObject() : User.ToJson(),
        };
        if (ImpersonatedUser is { } impersonatedUser)
        {
            result["impersonatedUser"] = impersonatedUser.ToJson();
        }

        result["sourceIPs"] = new JsonArray([.. SourceIps().Select(ip => (JsonNode)ip)]);
        if (_context.Request.Headers.UserAgent.ToString() is { Length: > 0 } userAgent)
        {
            result["userAgent"] = userAgent;
        }

        JsonNode? requestObject = RequestObject();
        if (ObjectRef(requestObject as JsonObject) is { } objectRef)
        {
            result["objectRef"] = objectRef;
        }

        if (stage is AuditStage.ResponseComplete or AuditStage.Panic)
        {
            result["responseStatus"] = ResponseStatusJson(panic);
        }

        if (decision.Level >= AuditLevel.Request && stage is AuditStage.ResponseComplete or AuditStage.Panic && requestObject is not null)
        {
            result["requestObject"] = Trim(requestObject, decision.OmitManagedFields);
        }

        if (decision.Level == AuditLevel.RequestResponse && stage == AuditStage.ResponseComplete && ResponseObjectJson() is { } responseObject)
        {
            result["responseObject"] = Trim(responseObject, decision.OmitManagedFields);
        }

        result["requestReceivedTimestamp"] = Timestamp(Received);
        result["stageTimestamp"] = Timestamp(_recorder.Now);
        if (Annotations.Count > 0)
        {
            result["annotations"] = new JsonObject(Annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        }

        return result;
    }

    private string RequestUri() =>
        _context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : $"{_context.Request.Path}{_context.Request.QueryString}";

    /// <summary>X-Forwarded-For's addresses, then the peer's (upstream's order).</summary>
    private List<string> SourceIps()
    {
        var ips = new List<string>();
        foreach (string? header in _context.Request.Headers["X-Forwarded-For"])
        {
            ips.AddRange((header ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        if (_context.Connection.RemoteIpAddress is { } remote)
        {
            string peer = (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
            if (!ips.Contains(peer))
            {
                ips.Add(peer);
            }
        }

        return ips;
    }

    private JsonObject? ObjectRef(JsonObject? requestObject)
    {
        if (_context.Items[typeof(RequestInfo)] is not RequestInfo request)
        {
            return null;
        }

        var json = new JsonObject { ["resource"] = request.Resource.Plural };
        string? ns = request.Namespace ?? requestObject?["metadata"]?["namespace"]?.GetValue<string>();
        string? name = request.Name ?? (request.Verb == "create" ? requestObject?["metadata"]?["name"]?.GetValue<string>() : null);
        if (!string.IsNullOrEmpty(ns) && request.Resource.Namespaced)
        {
            json["namespace"] = ns;
        }

        if (!string.IsNullOrEmpty(name))
        {
            json["name"] = name;
        }

        if (!string.IsNullOrEmpty(request.Resource.Group))
        {
            json["apiGroup"] = request.Resource.Group;
        }

        json["apiVersion"] = request.Resource.Version;
        if (!string.IsNullOrEmpty(request.Subresource))
        {
            json["subresource"] = request.Subresource;
        }

        return json;
    }

    private JsonObject ResponseStatusJson(Exception? panic)
    {
        if (panic is not null)
        {
            return new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = $"APIServer panic'd: {panic.Message}", ["code"] = 500 };
        }

        var json = new JsonObject { ["metadata"] = new JsonObject() };
        if (_responseStatus is { } status && status.Status != "Success")
        {
            json["status"] = status.Status;
            json["message"] = status.Message;
            json["reason"] = status.Reason;
            json["code"] = status.Code ?? _context.Response.StatusCode;
            return json;
        }

        json["code"] = _context.Response.StatusCode;
        return json;
    }

    /// <summary>The request body as JSON (a patch stays a patch), or null when there is none or it does not parse.</summary>
    private JsonNode? RequestObject()
    {
        if (_requestBody is not { Length: > 0 } body)
        {
            return null;
        }

        try
        {
            return _requestMediaType == "application/vnd.kubernetes.protobuf"
                ? Protobuf.KubernetesProtobuf.Decode(body)
                : BodyReader.ParseNode(body, _requestMediaType ?? Responses.JsonMediaType);
        }
        catch (StatusException)
        {
            return null;
        }
    }

    private JsonNode? ResponseObjectJson() =>
        _responseObject?.DeepClone() ?? (_responseStatus is { } status ? JsonSerializer.SerializeToNode(status, SkiffJson.Options) : null);

    private static JsonNode Trim(JsonNode node, bool omitManagedFields)
    {
        if (omitManagedFields && node is JsonObject json)
        {
            (json["metadata"] as JsonObject)?.Remove("managedFields");
            if (json["items"] is JsonArray items)
            {
                foreach (JsonNode? item in items)
                {
                    (item?["metadata"] as JsonObject)?.Remove("managedFields");
                }
            }
        }

        return node;
    }

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
