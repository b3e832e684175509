using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authentication;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    // Upstream's validation bounds for spec.expirationSeconds.
    private const long MinTokenSeconds = 600;
    private const long MaxTokenSeconds = 1L << 32;

    /// <summary>
    /// TokenRequest (upstream's serviceaccounts/token): a JWT for the service account, for the requested audiences (the API
    /// server's when none), expiring after spec.expirationSeconds (default one hour, at least ten minutes, at most the
    /// server's maximum) and, with spec.boundObjectRef, bound to a pod (and the pod's node), a secret or a node that must
    /// exist now and keeps the token valid only while it does.
    /// </summary>
    private async Task<JsonObject> TokenRequestAsync(HttpContext context, RequestInfo request, JsonObject tokenRequest, UserInfo user)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        string name = request.Name!;
        string ns = request.Namespace!;
        JsonNode? spec = tokenRequest["spec"];
        if (TokenText(tokenRequest["metadata"]?["name"]) is { Length: > 0 } bodyName && bodyName != name)
        {
            throw InvalidTokenRequest(name, "metadata.name", $"Invalid value: \"{bodyName}\": must match the service account name if specified");
        }

        if (TokenText(tokenRequest["metadata"]?["namespace"]) is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw InvalidTokenRequest(name, "metadata.namespace", $"Invalid value: \"{bodyNamespace}\": must match the service account namespace if specified");
        }

        var accounts = _catalog.Find(string.Empty, "v1", "serviceaccounts")!;
        JsonObject account = await _registry.GetAsync(accounts, ns, name, cancellationToken);
        long seconds = spec?["expirationSeconds"]?.GetValue<long>() ?? 3600;
        if (seconds < MinTokenSeconds)
        {
            throw InvalidTokenRequest(name, "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration less than 10 minutes");
        }

        if (seconds > MaxTokenSeconds)
        {
            throw InvalidTokenRequest(name, "spec.expirationSeconds", $"Invalid value: {seconds}: may not specify a duration larger than 2^32 seconds");
        }

        string[] audiences = spec?["audiences"] is JsonArray list ? [.. list.Select(TokenText).Where(a => a.Length > 0)] : [];
        if (audiences.Length == 0)
        {
            audiences = [.. _tokens.ApiAudiences];
        }

        if (Authorization.NodeAuthorizer.NodeName(user) is { } node)
        {
            await CheckNodeTokenRequestAsync(node, user, name, ns, spec?["boundObjectRef"] as JsonObject, cancellationToken);
        }

        List<BoundObject> bound = spec?["boundObjectRef"] is JsonObject reference ? await BoundObjectsAsync(name, ns, reference, cancellationToken) : [];
        if (_tokens.MaxExpiration is { } max && seconds > (long)max.TotalSeconds)
        {
            context.Response.Headers.Append("Warning", $"299 - \"requested expiration of {seconds} seconds shortened to {(long)max.TotalSeconds} seconds\"");
            seconds = (long)max.TotalSeconds;
        }

        (string token, DateTimeOffset expires) = _tokens.Issue(ns, name, TokenText(account["metadata"]?["uid"]), audiences, TimeSpan.FromSeconds(seconds), bound);
        JsonObject answer = tokenRequest.DeepClone().AsObject();
        answer["apiVersion"] = "authentication.k8s.io/v1";
        answer["kind"] = "TokenRequest";
        answer["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["creationTimestamp"] = (expires - TimeSpan.FromSeconds(seconds)).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        JsonObject answerSpec = answer["spec"] as JsonObject ?? [];
        answer["spec"] = answerSpec;
        answerSpec["audiences"] = new JsonArray([.. audiences.Select(a => JsonValue.Create(a))]);
        answerSpec["expirationSeconds"] = seconds;
        answer["status"] = new JsonObject { ["token"] = token, ["expirationTimestamp"] = expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) };
        return answer;
    }

    /// <summary>
    /// Upstream's NodeRestriction for TokenRequest: a node may ask only for a token bound to a pod (by name and uid) that is
    /// scheduled on it; the server then adds the node binding itself, so a node can neither mint an unbound token nor one for
    /// another node's pod.
    /// </summary>
    private async Task CheckNodeTokenRequestAsync(string node, UserInfo user, string account, string ns, JsonObject? reference, CancellationToken cancellationToken)
    {
        StatusException Forbidden(string cause) => ApiErrors.Forbidden(string.Empty, "serviceaccounts", account, cause);
        if (node.Length == 0)
        {
            throw Forbidden($"could not determine node from user \"{user.Name}\"");
        }

        string podName = TokenText(reference?["name"]);
        if (reference is null || TokenText(reference["apiVersion"]) != "v1" || TokenText(reference["kind"]) != "Pod" || podName.Length == 0)
        {
            throw Forbidden("node requested token not bound to a pod");
        }

        string uid = TokenText(reference["uid"]);
        if (uid.Length == 0)
        {
            throw Forbidden("node requested token with a pod binding without a uid");
        }

        JsonObject pod = await _registry.GetAsync(_catalog.Find(string.Empty, "v1", "pods")!, ns, podName, cancellationToken);
        if (TokenText(pod["metadata"]?["uid"]) != uid)
        {
            throw Forbidden($"the UID in the bound object reference ({uid}) does not match the UID in record. The object might have been deleted and then recreated");
        }

        if (TokenText(pod["spec"]?["nodeName"]) != node)
        {
            throw Forbidden("node requested token bound to a pod scheduled on a different node");
        }
    }

    /// <summary>The objects a TokenRequest's boundObjectRef binds the token to, checked as upstream checks them.</summary>
    private async Task<List<BoundObject>> BoundObjectsAsync(string account, string ns, JsonObject reference, CancellationToken cancellationToken)
    {
        string apiVersion = TokenText(reference["apiVersion"]);
        string kind = TokenText(reference["kind"]);
        string objectName = TokenText(reference["name"]);
        string wantedUid = TokenText(reference["uid"]);
        string group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : string.Empty;
        var bound = new List<BoundObject>();
        JsonObject target;
        switch (group, kind)
        {
            case ("", "Pod"):
                target = await _registry.GetAsync(_catalog.Find(string.Empty, "v1", "pods")!, ns, objectName, cancellationToken);
                if (TokenText(target["spec"]?["serviceAccountName"]) != account)
                {
                    throw ApiErrors.BadRequest($"cannot bind token for serviceaccount \"{account}\" to pod running with different serviceaccount name.");
                }

                bound.Add(new BoundObject("Pod", objectName, TokenText(target["metadata"]?["uid"])));
                // As upstream 1.30+: a scheduled pod's token also names its node (a node that is gone leaves the claim out).
                if (TokenText(target["spec"]?["nodeName"]) is { Length: > 0 } nodeName)
                {
                    try
                    {
                        JsonObject node = await _registry.GetAsync(_catalog.Find(string.Empty, "v1", "nodes")!, null, nodeName, cancellationToken);
                        bound.Add(new BoundObject("Node", nodeName, TokenText(node["metadata"]?["uid"])));
                    }
                    catch (StatusException ex) when (ex.Code == 404)
                    {
                    }
                }

                break;
            case ("", "Secret"):
                target = await _registry.GetAsync(_catalog.Find(string.Empty, "v1", "secrets")!, ns, objectName, cancellationToken);
                bound.Add(new BoundObject("Secret", objectName, TokenText(target["metadata"]?["uid"])));
                break;
            case ("", "Node"):
                target = await _registry.GetAsync(_catalog.Find(string.Empty, "v1", "nodes")!, null, objectName, cancellationToken);
                bound.Add(new BoundObject("Node", objectName, TokenText(target["metadata"]?["uid"])));
                break;
            default:
                string version = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..] : apiVersion;
                throw ApiErrors.BadRequest($"cannot bind token for serviceaccount \"{account}\" to object of type {group}/{version}, Kind={kind}");
        }

        if (wantedUid.Length > 0 && bound[0].Uid != wantedUid)
        {
            throw ApiErrors.Conflict(string.Empty, kind, objectName, $"the UID in the bound object reference ({wantedUid}) does not match the UID in record. The object might have been deleted and then recreated");
        }

        return bound;
    }

    /// <summary>
    /// TokenReview: whether the token authenticates for spec.audiences (the API server's when none), and as whom; a refused
    /// token gets <c>authenticated: false</c> with upstream's error text.
    /// </summary>
    private async Task<JsonObject> TokenStatusAsync(JsonObject review, CancellationToken cancellationToken)
    {
        string token = TokenText(review["spec"]?["token"]);
        if (token.Length == 0)
        {
            throw ApiErrors.BadRequest("token is required for TokenReview in authentication");
        }

        string[] requested = review["spec"]?["audiences"] is JsonArray list ? [.. list.Select(TokenText).Where(a => a.Length > 0)] : [];
        TokenValidation result = await _tokens.ValidateAsync(token, requested, cancellationToken) is { } serviceAccount
            ? serviceAccount with { Error = serviceAccount.Error is null ? null : $"[invalid bearer token, {serviceAccount.Error}]" }
            : await OtherTokenAsync(token, requested, cancellationToken);
        if (result.User is null)
        {
            return new JsonObject { ["authenticated"] = false, ["error"] = result.Error ?? "invalid bearer token" };
        }

        return new JsonObject
        {
            ["authenticated"] = true,
            ["user"] = result.User.ToJson(),
            ["audiences"] = new JsonArray([.. result.Audiences.Select(a => JsonValue.Create(a))]),
        };
    }

    // Tokens without audiences (join tokens) are good for the API server's audiences only, as upstream's audience-agnostic wrapper.
    private async Task<TokenValidation> OtherTokenAsync(string token, string[] requested, CancellationToken cancellationToken)
    {
        string[] audiences = requested.Length == 0 ? [.. _tokens.ApiAudiences] : [.. requested.Where(_tokens.ApiAudiences.Contains)];
        UserInfo? user = audiences.Length == 0 ? null : await _authenticator.AuthenticateTokenAsync(token, cancellationToken);
        return user is null ? TokenValidation.Refused("invalid bearer token") : new TokenValidation(user, audiences, null);
    }

    private static StatusException InvalidTokenRequest(string name, string field, string message) =>
        ApiErrors.Invalid("authentication.k8s.io", "TokenRequest", name, [new V1StatusCause { Reason = "FieldValueInvalid", Field = field, Message = message }]);

    private static string TokenText(JsonNode? value) => value is JsonValue text && text.TryGetValue(out string? s) ? s : string.Empty;
}
