using System.Text.Json.Nodes;
using k8s.Models;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>A webhook's checked answer: allowed or the Status it refused with, the JSON patch (mutating only), warnings and audit annotations.</summary>
internal sealed record WebhookResponse(
    bool Allowed,
    V1Status? Status,
    JsonArray? Patch,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, string> AuditAnnotations);
