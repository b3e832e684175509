using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>The admission.k8s.io/v1 AdmissionReview a webhook receives, and the checks upstream applies to its answer.</summary>
internal static class AdmissionReviews
{
    public const string ApiVersion = "admission.k8s.io/v1";
    public const string Kind = "AdmissionReview";

    /// <summary>
    /// The review for one call. <paramref name="item"/> and <paramref name="oldItem"/> are already in the version of
    /// <paramref name="matched"/>, the resource the webhook's rules matched.
    /// </summary>
    public static JsonObject Request(string uid, AdmissionAttributes attributes, ResourceInfo matched, JsonObject? item, JsonObject? oldItem)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(matched);
        ResourceInfo requested = attributes.RequestResource ?? attributes.Resource;
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = GroupVersionKind(matched),
            ["resource"] = GroupVersionResource(matched),
            ["requestKind"] = GroupVersionKind(requested),
            ["requestResource"] = GroupVersionResource(requested),
            ["name"] = attributes.Name,
            ["operation"] = WebhookMatcher.Operation(attributes.Operation),
            ["userInfo"] = new JsonObject
            {
                ["username"] = attributes.User.Name,
                ["groups"] = new JsonArray([.. attributes.User.Groups.Select(g => (JsonNode?)g)]),
            },
            ["dryRun"] = attributes.DryRun,
        };
        if (!string.IsNullOrEmpty(attributes.Subresource))
        {
            request["subResource"] = attributes.Subresource;
            request["requestSubResource"] = attributes.Subresource;
        }

        if (!string.IsNullOrEmpty(attributes.Namespace))
        {
            request["namespace"] = attributes.Namespace;
        }

        if (attributes.User.Uid.Length > 0)
        {
            request["userInfo"]!["uid"] = attributes.User.Uid;
        }

        request["object"] = item;
        request["oldObject"] = oldItem;
        request["options"] = Options(attributes);
        return new JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = Kind, ["request"] = request };
    }

    /// <summary>
    /// Reads the webhook's answer, failing as upstream's VerifyAdmissionResponse does (those failures are calls that failed,
    /// so the failurePolicy applies).
    /// </summary>
    public static WebhookResponse Response(JsonObject review, string uid, bool mutating)
    {
        ArgumentNullException.ThrowIfNull(review);
        string? apiVersion = review["apiVersion"]?.GetValueKind() == JsonValueKind.String ? review["apiVersion"]!.GetValue<string>() : null;
        string? kind = review["kind"]?.GetValueKind() == JsonValueKind.String ? review["kind"]!.GetValue<string>() : null;
        if (apiVersion != ApiVersion || kind != Kind)
        {
            throw Invalid($"expected webhook response of {ApiVersion}, Kind={Kind}, got {apiVersion}, Kind={kind}");
        }

        if (review["response"] is not JsonObject response)
        {
            throw Invalid("webhook response was absent");
        }

        string? answeredUid = String(response, "uid");
        if (answeredUid != uid)
        {
            throw Invalid($"expected response.uid=\"{uid}\", got \"{answeredUid}\"");
        }

        string? patchText = String(response, "patch");
        string? patchType = String(response, "patchType");
        JsonArray? patch = null;
        if (!string.IsNullOrEmpty(patchText))
        {
            if (!mutating)
            {
                throw Invalid("validating webhooks may not return patches");
            }

            if (string.IsNullOrEmpty(patchType))
            {
                throw Invalid("webhook returned response.patch but not response.patchType");
            }

            if (patchType != "JSONPatch")
            {
                throw Invalid($"webhook returned invalid response.patchType of \"{patchType}\"");
            }

            try
            {
                patch = JsonNode.Parse(Convert.FromBase64String(patchText)) as JsonArray ?? throw Invalid("response.patch is not a JSON array");
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                throw Invalid("response.patch: " + ex.Message);
            }
        }

        V1Status? status = null;
        if (response["status"] is JsonObject statusJson)
        {
            try
            {
                status = statusJson.Deserialize<V1Status>(SkiffJson.Options);
            }
            catch (JsonException ex)
            {
                throw Invalid("response.status: " + ex.Message);
            }
        }

        var warnings = new List<string>();
        foreach (JsonNode? warning in response["warnings"] as JsonArray ?? [])
        {
            // Upstream drops warnings that cannot travel in a header (control characters) and keeps the rest.
            if (warning?.GetValueKind() == JsonValueKind.String && warning.GetValue<string>() is { Length: > 0 } text && !text.Any(char.IsControl))
            {
                warnings.Add(text);
            }
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, JsonNode? value) in response["auditAnnotations"] as JsonObject ?? [])
        {
            if (value?.GetValueKind() == JsonValueKind.String)
            {
                annotations[key] = value.GetValue<string>();
            }
        }

        bool allowed = response["allowed"]?.GetValueKind() == JsonValueKind.True;
        return new WebhookResponse(allowed, status, patch, warnings, annotations);
    }

    private static JsonObject Options(AdmissionAttributes attributes)
    {
        if (attributes.Options is not null)
        {
            JsonObject options = JsonSerializer.SerializeToNode(attributes.Options, attributes.Options.GetType(), SkiffJson.Options)?.AsObject() ?? [];
            options["apiVersion"] = "meta.k8s.io/v1";
            options["kind"] ??= attributes.Operation switch
            {
                AdmissionOperation.Create => "CreateOptions",
                AdmissionOperation.Update => "UpdateOptions",
                _ => "DeleteOptions",
            };
            return options;
        }

        var created = new JsonObject
        {
            ["kind"] = attributes.Operation switch
            {
                AdmissionOperation.Create => "CreateOptions",
                AdmissionOperation.Update => "UpdateOptions",
                _ => "DeleteOptions",
            },
            ["apiVersion"] = "meta.k8s.io/v1",
        };
        if (attributes.DryRun)
        {
            created["dryRun"] = new JsonArray("All");
        }

        return created;
    }

    private static JsonObject GroupVersionKind(ResourceInfo resource) =>
        new() { ["group"] = resource.Group, ["version"] = resource.Version, ["kind"] = resource.Kind };

    private static JsonObject GroupVersionResource(ResourceInfo resource) =>
        new() { ["group"] = resource.Group, ["version"] = resource.Version, ["resource"] = resource.Plural };

    private static string? String(JsonObject json, string name) =>
        json[name]?.GetValueKind() == JsonValueKind.String ? json[name]!.GetValue<string>() : null;

    private static WebhookCallException Invalid(string why) => new("received invalid webhook response: " + why);
}
