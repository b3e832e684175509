using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>What one validating webhook said: its answer, nothing (failed open), or the error that refuses the request.</summary>
internal sealed record ValidationOutcome(CompiledWebhook Hook, WebhookResponse? Response, StatusException? Error);
