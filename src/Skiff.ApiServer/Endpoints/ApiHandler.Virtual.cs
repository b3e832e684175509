using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Selectors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    /// <summary>Request-only resources: reviews, pod binding and eviction, and service-account tokens.</summary>
    private async Task ServeVirtualAsync(HttpContext context, RequestInfo request, UserInfo user)
    {
        if (context.Request.Method != "POST")
        {
            throw new StatusException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({context.Request.Method} {request.Resource.QualifiedName})");
        }

        JsonObject body = BodyReader.ParseObject(await BodyReader.ReadBytesAsync(context.Request, context.RequestAborted), BodyReader.MediaType(context.Request));
        JsonObject answer = (request.Resource.Plural, request.Subresource) switch
        {
            ("selfsubjectreviews", _) => Review(body, "authentication.k8s.io/v1", "SelfSubjectReview", new JsonObject { ["userInfo"] = user.ToJson() }),
            ("selfsubjectaccessreviews", _) => Review(body, "authorization.k8s.io/v1", "SelfSubjectAccessReview", await AccessStatusAsync(user, body, context.RequestAborted)),
            ("selfsubjectrulesreviews", _) => Review(body, "authorization.k8s.io/v1", "SelfSubjectRulesReview", RulesStatus(user, body)),
            ("localsubjectaccessreviews", _) when LocalReviewErrors(request.Namespace, body) is { } error => throw error,
            ("subjectaccessreviews" or "localsubjectaccessreviews", _) => Review(body, request.Resource.ApiVersion, request.Resource.Kind, await AccessStatusAsync(SubjectOf(body), body, context.RequestAborted)),
            ("tokenreviews", _) => Review(body, "authentication.k8s.io/v1", "TokenReview", await TokenStatusAsync(body, context.RequestAborted)),
            ("bindings", _) or ("pods", "binding") => await BindAsync(request, body, context.RequestAborted),
            ("pods", "eviction") => await EvictAsync(request, body, user, context.RequestAborted),
            ("serviceaccounts", "token") => await TokenRequestAsync(context, request, body, user),
            _ => throw ApiErrors.MethodNotSupported(request.Resource.Group, request.Resource.Plural + (request.Subresource is null ? string.Empty : "/" + request.Subresource), "create"),
        };
        await Responses.WriteJsonAsync(context, answer, 201);
    }

    /// <summary>
    /// Upstream's checks of a LocalSubjectAccessReview: it asks about resources in the URL's namespace only (its object takes the
    /// URL's namespace, as any namespaced create), never about non-resource URLs. Null when the review is acceptable.
    /// </summary>
    private static StatusException? LocalReviewErrors(string? ns, JsonObject review)
    {
        string? own = review["metadata"]?["namespace"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(own) && own != ns)
        {
            return ApiErrors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var causes = new List<k8s.Models.V1StatusCause>();
        if (review["spec"]?["resourceAttributes"] is JsonObject resource && (resource["namespace"]?.GetValue<string>() ?? string.Empty) != ns)
        {
            string value = resource["namespace"]?.GetValue<string>() ?? string.Empty;
            causes.Add(new k8s.Models.V1StatusCause { Reason = "FieldValueInvalid", Field = "spec.resourceAttributes.namespace", Message = $"Invalid value: \"{value}\": must match metadata.namespace" });
        }

        if (review["spec"]?["nonResourceAttributes"] is JsonObject nonResource)
        {
            // Go's %#v of the internal struct, as field.Invalid prints a struct value.
            string value = $"authorization.NonResourceAttributes{{Path:\"{nonResource["path"]?.GetValue<string>()}\", Verb:\"{nonResource["verb"]?.GetValue<string>()}\"}}";
            causes.Add(new k8s.Models.V1StatusCause { Reason = "FieldValueInvalid", Field = "spec.nonResourceAttributes", Message = $"Invalid value: {value}: disallowed on this kind of request" });
        }

        return causes.Count == 0 ? null : ApiErrors.Invalid("authorization.k8s.io", "LocalSubjectAccessReview", string.Empty, causes);
    }

    private static JsonObject Review(JsonObject body, string apiVersion, string kind, JsonObject status)
    {
        JsonObject review = body.DeepClone().AsObject();
        review["apiVersion"] = apiVersion;
        review["kind"] = kind;
        review["metadata"] ??= new JsonObject();
        review["metadata"]!["creationTimestamp"] = null;
        review["status"] = status;
        return review;
    }

    private static UserInfo SubjectOf(JsonObject review)
    {
        JsonNode? spec = review["spec"];
        string name = spec?["user"]?.GetValue<string>() ?? string.Empty;
        string[] groups = spec?["groups"] is JsonArray list ? [.. list.Select(g => g?.GetValue<string>() ?? string.Empty)] : [];
        var extra = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach ((string key, JsonNode? values) in spec?["extra"] as JsonObject ?? [])
        {
            extra[key] = values is JsonArray array ? [.. array.Select(v => v?.GetValue<string>() ?? string.Empty)] : [];
        }

        return new UserInfo(name, groups, spec?["uid"]?.GetValue<string>() ?? string.Empty) { Extra = extra };
    }

    /// <summary>An access review's answer: the authorizer chain asked about the review's resource or non-resource attributes.</summary>
    private async Task<JsonObject> AccessStatusAsync(UserInfo user, JsonObject review, CancellationToken cancellationToken)
    {
        JsonNode? spec = review["spec"];
        JsonNode? resource = spec?["resourceAttributes"];
        JsonNode? nonResource = spec?["nonResourceAttributes"];
        string? Text(JsonNode? node, string field) => node?[field]?.GetValue<string>() is { Length: > 0 } value ? value : null;
        AuthorizationAttributes attributes = resource is not null || nonResource is null
            ? new AuthorizationAttributes(user, Text(resource, "verb") ?? string.Empty, Text(resource, "group") ?? string.Empty, Text(resource, "resource") ?? string.Empty, Text(resource, "subresource"), Text(resource, "namespace"), Text(resource, "name"))
            : new AuthorizationAttributes(user, Text(nonResource, "verb") ?? string.Empty, string.Empty, string.Empty, null, null, null, Text(nonResource, "path") ?? "/");
        (AuthorizationDecision decision, string reason) = await _authorizer.DecideAsync(attributes, cancellationToken);
        var status = new JsonObject { ["allowed"] = decision == AuthorizationDecision.Allow };
        if (decision == AuthorizationDecision.Deny)
        {
            status["denied"] = true;
        }

        if (reason.Length > 0)
        {
            status["reason"] = reason;
        }

        return status;
    }

    /// <summary>SelfSubjectRulesReview: the rules the authorizers (system:masters, Node, RBAC) list for the caller in spec.namespace.</summary>
    private JsonObject RulesStatus(UserInfo user, JsonObject review)
    {
        string ns = review["spec"]?["namespace"]?.GetValue<string>() ?? string.Empty;
        ResolvedRules resolved = _authorizer.RulesFor(user, ns);
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (k8s.Models.V1PolicyRule rule in resolved.Rules)
        {
            JsonObject json = JsonSerializer.SerializeToNode(rule, Machinery.Json.SkiffJson.Options)!.AsObject();
            if (rule.NonResourceURLs is { Count: > 0 })
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = json["verbs"]?.DeepClone(), ["nonResourceURLs"] = json["nonResourceURLs"]?.DeepClone() });
            }

            if (rule.Resources is { Count: > 0 })
            {
                json.Remove("nonResourceURLs");
                resourceRules.Add(json);
            }
        }

        var status = new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = resolved.Incomplete };
        if (resolved.EvaluationError.Length > 0)
        {
            status["evaluationError"] = resolved.EvaluationError;
        }

        return status;
    }

    /// <summary>The scheduler's write: sets spec.nodeName once (409 if the pod is already bound) and marks it scheduled.</summary>
    private async Task<JsonObject> BindAsync(RequestInfo request, JsonObject binding, CancellationToken cancellationToken)
    {
        string name = request.Name ?? binding["metadata"]?["name"]?.GetValue<string>() ?? throw ApiErrors.BadRequest("the binding names no pod");
        string node = binding["target"]?["name"]?.GetValue<string>() ?? string.Empty;
        if (node.Length == 0)
        {
            throw ApiErrors.Invalid(string.Empty, "Binding", name, [new k8s.Models.V1StatusCause { Reason = "FieldValueRequired", Field = "target.name", Message = "Required value" }]);
        }

        var pods = _catalog.Find(string.Empty, "v1", "pods")!;
        var write = new WriteRequest("kube-scheduler", FieldValidation.Ignore, DryRun: false);
        await _registry.UpdateAsync(pods, request.Namespace, name, "binding", current =>
        {
            JsonObject pod = current!;
            if (pod["spec"]?["nodeName"]?.GetValue<string>() is { Length: > 0 } bound)
            {
                throw ApiErrors.Conflict(string.Empty, "pods", name, $"pod {name} is already assigned to node \"{bound}\"");
            }

            if (pod["metadata"]?["deletionTimestamp"] is not null)
            {
                throw ApiErrors.Conflict(string.Empty, "pods", name, "pod is being deleted, cannot be assigned to a host");
            }

            if (binding["metadata"]?["uid"]?.GetValue<string>() is { Length: > 0 } uid && pod["metadata"]?["uid"]?.GetValue<string>() != uid)
            {
                throw ApiErrors.Conflict(string.Empty, "pods", name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {pod["metadata"]?["uid"]}");
            }

            pod["spec"]!["nodeName"] = node;
            MarkScheduled(pod);
            return pod;
        }, write, createIfMissing: false, cancellationToken);
        return new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 };
    }

    // As upstream's assignPod: the bound pod's PodScheduled condition becomes True (kubectl describe shows it).
    private void MarkScheduled(JsonObject pod)
    {
        JsonObject status = pod["status"] as JsonObject ?? new JsonObject();
        pod["status"] = status;
        JsonArray conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        JsonNode? existing = conditions.FirstOrDefault(c => c?["type"]?.GetValue<string>() == "PodScheduled");
        if (existing is not null && existing["status"]?.GetValue<string>() == "True")
        {
            return;
        }

        if (existing is not null)
        {
            conditions.Remove(existing);
        }

        conditions.Add(new JsonObject
        {
            ["type"] = "PodScheduled",
            ["status"] = "True",
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// Eviction (upstream's pod eviction REST): a pod a PodDisruptionBudget covers goes only while the budget's status (kept
    /// by the disruption controller) allows a disruption; the allowance is spent in the same write that records the pod in
    /// status.disruptedPods, so concurrent evictions (kubectl drain) cannot overspend it. Pods that are not running or
    /// already deleting, and unready pods while the budget is healthy, are evicted without spending.
    /// </summary>
    private async Task<JsonObject> EvictAsync(RequestInfo request, JsonObject eviction, UserInfo user, CancellationToken cancellationToken)
    {
        var pods = _catalog.Find(string.Empty, "v1", "pods")!;
        JsonObject pod = await _registry.GetAsync(pods, request.Namespace, request.Name!, cancellationToken);
        // Upstream's NodeRestriction: a node (whose role grants pods/eviction) may evict only the pods bound to it.
        if (NodeAuthorizer.NodeName(user) is { } node)
        {
            if (node.Length == 0)
            {
                throw ApiErrors.Forbidden(string.Empty, "pods", request.Name, $"could not determine node from user \"{user.Name}\"");
            }

            if (pod["spec"]?["nodeName"]?.GetValue<string>() != node)
            {
                throw ApiErrors.Forbidden(string.Empty, "pods", request.Name, $"node {node} can only evict pods with spec.nodeName set to itself");
            }
        }

        await _cache.SyncAsync(cancellationToken);
        var budgets = _catalog.Find("policy", "v1", "poddisruptionbudgets")!;
        var labels = new Dictionary<string, string>();
        if (pod["metadata"]?["labels"] is JsonObject podLabels)
        {
            foreach ((string key, JsonNode? value) in podLabels)
            {
                labels[key] = value?.GetValue<string>() ?? string.Empty;
            }
        }

        string phase = pod["status"]?["phase"]?.GetValue<string>() ?? "Pending";
        bool ignoreBudgets = phase is "Succeeded" or "Failed" or "Pending" || pod["metadata"]?["deletionTimestamp"] is not null;
        var matching = new List<WatchCache.CachedObject>();
        foreach (WatchCache.CachedObject budget in _cache.Bucket(budgets).Snapshot(StorageKeys.ListPrefix(budgets, request.Namespace), null))
        {
            JsonObject pdb = JsonNode.Parse(budget.Json)!.AsObject();
            if (pdb["spec"]?["selector"] is JsonObject && LabelSelector.FromModel(pdb["spec"]?["selector"]?.Deserialize<k8s.Models.V1LabelSelector>(Machinery.Json.SkiffJson.Options)).Matches(labels))
            {
                matching.Add(budget);
            }
        }

        if (!ignoreBudgets && matching.Count > 1)
        {
            throw new StatusException(500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        }

        if (!ignoreBudgets && matching.Count == 1)
        {
            bool podReady = pod["status"]?["conditions"] is JsonArray conditions
                && conditions.Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");
            string podName = request.Name!;
            string now = _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
            await _registry.UpdateAsync(budgets, request.Namespace, matching[0].Name, "status", current =>
            {
                JsonObject pdb = current!;
                string name = pdb["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
                JsonObject status = pdb["status"] as JsonObject ?? new JsonObject();
                int allowed = status["disruptionsAllowed"]?.GetValue<int>() ?? 0;
                int currentHealthy = status["currentHealthy"]?.GetValue<int>() ?? 0;
                int desiredHealthy = status["desiredHealthy"]?.GetValue<int>() ?? 0;
                string policy = pdb["spec"]?["unhealthyPodEvictionPolicy"]?.GetValue<string>() ?? "IfHealthyBudget";
                if (!podReady && (policy == "AlwaysAllow" || (currentHealthy >= desiredHealthy && desiredHealthy > 0)))
                {
                    // An unready pod adds nothing to the budget's health: let it go without spending the allowance.
                    return pdb;
                }

                if ((status["observedGeneration"]?.GetValue<long>() ?? 0) < (pdb["metadata"]?["generation"]?.GetValue<long>() ?? 0))
                {
                    throw TooManyRequests($"The disruption budget {name} is still being processed by the server.");
                }

                if (allowed < 0)
                {
                    throw new StatusException(403, "Forbidden", $"poddisruptionbudget.policy \"{name}\" is forbidden: pdb disruptions allowed is negative");
                }

                if (status["disruptedPods"] is JsonObject { Count: > 2000 })
                {
                    throw new StatusException(403, "Forbidden", $"poddisruptionbudget.policy \"{name}\" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller");
                }

                if (allowed == 0)
                {
                    throw TooManyRequests($"The disruption budget {name} needs {desiredHealthy} healthy pods and has {currentHealthy} currently");
                }

                status["disruptionsAllowed"] = allowed - 1;
                JsonObject disrupted = status["disruptedPods"] as JsonObject ?? new JsonObject();
                disrupted[podName] = now;
                status["disruptedPods"] = disrupted;
                pdb["status"] = status;
                return pdb;
            }, new WriteRequest("kube-apiserver", FieldValidation.Ignore, DryRun: false), createIfMissing: false, cancellationToken);
        }

        k8s.Models.V1DeleteOptions? options = eviction["deleteOptions"] is JsonObject deleteOptions
            ? System.Text.Json.JsonSerializer.Deserialize<k8s.Models.V1DeleteOptions>(deleteOptions, Machinery.Json.SkiffJson.Options)
            : null;
        await _registry.DeleteAsync(pods, request.Namespace, request.Name!, options, dryRun: false, cancellationToken, user);
        return new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 };
    }

    private static StatusException TooManyRequests(string cause) =>
        new(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", new k8s.Models.V1StatusDetails { Causes = [new k8s.Models.V1StatusCause { Reason = "DisruptionBudget", Message = cause }] });
}
