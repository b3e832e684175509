using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Conversion;
using Skiff.ApiServer.Patching;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Calls one matched webhook and turns its answer into upstream's outcome: a dryRun request to a webhook with side effects
/// is refused; a failed call fails the request (failurePolicy Fail, 500 "failed calling webhook") or is noted and skipped
/// (Ignore); a refusal becomes the webhook's Status ("admission webhook "x" denied the request: ..."); warnings and audit
/// annotations are kept; a JSON patch is applied to the object in the matched version and decoded back into the stored one.
/// </summary>
internal sealed partial class WebhookDispatcher(WebhookClient client, VersionConversion conversion, Instrumentation.ApiServerMetrics metrics, ILogger<WebhookDispatcher> logger)
{
    /// <summary>Calls a mutating webhook; true when its patch changed the object (now in <see cref="AdmissionAttributes.Object"/>).</summary>
    public async Task<bool> MutateAsync(CompiledWebhook hook, AdmissionAttributes attributes, ResourceInfo matched, int round, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hook);
        ArgumentNullException.ThrowIfNull(attributes);
        JsonObject? item = InVersion(matched, attributes.Object);
        WebhookResponse? response = await CallAsync(hook, attributes, matched, item, mutating: true, cancellationToken);
        if (response is null)
        {
            attributes.AuditAnnotations[$"failed-open.mutation.webhook.admission.k8s.io/round_{round}_index_{index}"] = hook.Name;
            return false;
        }

        Record(response, hook, attributes);
        if (response.Patch is null || item is null || attributes.Object is null)
        {
            return false;
        }

        JsonObject patched;
        try
        {
            patched = JsonPatch.Apply(item, response.Patch) as JsonObject ?? throw ApiErrors.Internal("the webhook's patch replaced the object with a non-object");
        }
        catch (StatusException ex) when (ex.Code != 500)
        {
            throw ApiErrors.Internal(ex.Message);
        }

        if (JsonNode.DeepEquals(patched, item))
        {
            return false;
        }

        IKubernetesObject<V1ObjectMeta> original = attributes.Object;
        IKubernetesObject<V1ObjectMeta> decoded = ObjectCodec.Decode(attributes.Resource, conversion.ToStorage(matched, patched), FieldValidation.Ignore, []);
        KeepIdentity(decoded, original);
        attributes.Object = decoded;
        attributes.AuditAnnotations[$"mutation.webhook.admission.k8s.io/round_{round}_index_{index}"] =
            new JsonObject { ["configuration"] = hook.ConfigurationName, ["webhook"] = hook.Name, ["mutated"] = true }.ToJsonString();
        LogPatched(logger, hook.Name, attributes.Namespace, attributes.Name);
        return true;
    }

    /// <summary>
    /// Calls a validating webhook. The outcome is returned rather than applied because validating webhooks run in parallel:
    /// the caller applies the outcomes in webhook order.
    /// </summary>
    public async Task<ValidationOutcome> ValidateAsync(CompiledWebhook hook, AdmissionAttributes attributes, ResourceInfo matched, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hook);
        try
        {
            WebhookResponse? response = await CallAsync(hook, attributes, matched, InVersion(matched, attributes.Object), mutating: false, cancellationToken);
            return new ValidationOutcome(hook, response, null);
        }
        catch (StatusException ex)
        {
            return new ValidationOutcome(hook, null, ex);
        }
    }

    /// <summary>Keeps a validating webhook's warnings and annotations; throws its refusal.</summary>
    public static void Apply(ValidationOutcome outcome, AdmissionAttributes attributes, int index)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(attributes);
        if (outcome.Error is not null)
        {
            throw outcome.Error;
        }

        if (outcome.Response is null)
        {
            attributes.AuditAnnotations[$"failed-open.validating.webhook.admission.k8s.io/round_0_index_{index}"] = outcome.Hook.Name;
            return;
        }

        Record(outcome.Response, outcome.Hook, attributes);
    }

    /// <summary>The webhook's checked answer; null when the call failed and the failurePolicy is Ignore.</summary>
    private async Task<WebhookResponse?> CallAsync(CompiledWebhook hook, AdmissionAttributes attributes, ResourceInfo matched, JsonObject? item, bool mutating, CancellationToken cancellationToken)
    {
        if (attributes.DryRun && !hook.Definition.SupportsDryRun)
        {
            throw ApiErrors.BadRequest($"admission webhook \"{hook.Name}\" does not support dry run");
        }

        string uid = Guid.NewGuid().ToString();
        JsonObject review = AdmissionReviews.Request(uid, attributes, matched, item, InVersion(matched, attributes.OldObject));
        long started = metrics.Start();
        bool rejected = true;
        try
        {
            WebhookResponse? response = await CallOnceAsync(hook, attributes, review, uid, mutating, cancellationToken);
            rejected = false;
            return response;
        }
        finally
        {
            metrics.ObserveWebhook(hook.Name, mutating ? "admit" : "validating", WebhookMatcher.Operation(attributes.Operation), rejected, started);
        }
    }

    private async Task<WebhookResponse?> CallOnceAsync(CompiledWebhook hook, AdmissionAttributes attributes, JsonObject review, string uid, bool mutating, CancellationToken cancellationToken)
    {
        try
        {
            JsonObject answer = await client.CallAsync(hook, review, cancellationToken);
            WebhookResponse response = AdmissionReviews.Response(answer, uid, mutating);
            if (!response.Allowed)
            {
                LogDenied(logger, hook.Name, attributes.Namespace, attributes.Name);
                throw Denied(hook.Name, response.Status);
            }

            return response;
        }
        catch (WebhookCallException ex)
        {
            if (hook.FailOpen)
            {
                LogFailedOpen(logger, hook.Name, ex.Message);
                return null;
            }

            LogFailedClosed(logger, hook.Name, ex.Message);
            throw ApiErrors.Internal($"failed calling webhook \"{hook.Name}\": {ex.Message}");
        }
    }

    /// <summary>Upstream's ToStatusErr: the webhook's Status, at least 400, with the webhook named in the message.</summary>
    private static StatusException Denied(string name, V1Status? status)
    {
        string deniedBy = $"admission webhook \"{name}\" denied the request";
        int code = status?.Code is int given && given >= 400 ? given : 400;
        string message = !string.IsNullOrEmpty(status?.Message) ? $"{deniedBy}: {status.Message}"
            : !string.IsNullOrEmpty(status?.Reason) ? $"{deniedBy}: {status.Reason}"
            : $"{deniedBy} without explanation";
        return new StatusException(code, status?.Reason ?? string.Empty, message, status?.Details);
    }

    private static void Record(WebhookResponse response, CompiledWebhook hook, AdmissionAttributes attributes)
    {
        attributes.Warnings.AddRange(response.Warnings);

        foreach ((string key, string value) in response.AuditAnnotations)
        {
            // As upstream's audit context: the first value of a key stays (the authorization decision and earlier plugins'
            // annotations share this dictionary and must not be overwritten by a webhook).
            attributes.AuditAnnotations.TryAdd($"{hook.Name}/{key}", value);
        }
    }

    /// <summary>The object as JSON in the matched version (webhooks see the version their rules name).</summary>
    private JsonObject? InVersion(ResourceInfo matched, IKubernetesObject<V1ObjectMeta>? item) =>
        item is null ? null : conversion.FromStorage(matched, ObjectCodec.Encode(item));

    /// <summary>
    /// A patch may not move or re-identify the object: the registry has already chosen its key, uid and ownership records.
    /// </summary>
    private static void KeepIdentity(IKubernetesObject<V1ObjectMeta> patched, IKubernetesObject<V1ObjectMeta> original)
    {
        V1ObjectMeta metadata = patched.Metadata ??= new V1ObjectMeta();
        metadata.Name = original.Metadata?.Name;
        metadata.NamespaceProperty = original.Metadata?.NamespaceProperty;
        metadata.Uid = original.Metadata?.Uid;
        metadata.CreationTimestamp = original.Metadata?.CreationTimestamp;
        metadata.ManagedFields = original.Metadata?.ManagedFields;
        metadata.ResourceVersion = original.Metadata?.ResourceVersion;
    }
}
