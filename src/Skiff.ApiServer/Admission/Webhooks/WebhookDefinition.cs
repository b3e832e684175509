using k8s.Models;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// One webhook of a MutatingWebhookConfiguration or ValidatingWebhookConfiguration, read into one shape so that defaulting,
/// validation, matching and calling are written once for both kinds. <see cref="ReinvocationPolicy"/> is null for validating
/// webhooks.
/// </summary>
internal sealed record WebhookDefinition(
    string Name,
    Admissionregistrationv1WebhookClientConfig? ClientConfig,
    IList<V1RuleWithOperations>? Rules,
    string? FailurePolicy,
    string? MatchPolicy,
    V1LabelSelector? NamespaceSelector,
    V1LabelSelector? ObjectSelector,
    string? SideEffects,
    int? TimeoutSeconds,
    IList<string>? AdmissionReviewVersions,
    string? ReinvocationPolicy,
    int MatchConditionCount)
{
    public const string Fail = "Fail";
    public const string Ignore = "Ignore";
    public const string Exact = "Exact";
    public const string Equivalent = "Equivalent";
    public const string IfNeeded = "IfNeeded";
    public const string Never = "Never";
    public const int DefaultTimeoutSeconds = 10;
    public const int DefaultServicePort = 443;

    public static WebhookDefinition From(V1MutatingWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new(hook.Name ?? string.Empty, hook.ClientConfig, hook.Rules, hook.FailurePolicy, hook.MatchPolicy, hook.NamespaceSelector, hook.ObjectSelector,
            hook.SideEffects, hook.TimeoutSeconds, hook.AdmissionReviewVersions, hook.ReinvocationPolicy ?? Never, hook.MatchConditions?.Count ?? 0);
    }

    public static WebhookDefinition From(V1ValidatingWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new(hook.Name ?? string.Empty, hook.ClientConfig, hook.Rules, hook.FailurePolicy, hook.MatchPolicy, hook.NamespaceSelector, hook.ObjectSelector,
            hook.SideEffects, hook.TimeoutSeconds, hook.AdmissionReviewVersions, null, hook.MatchConditions?.Count ?? 0);
    }

    /// <summary>Whether a dryRun request may reach this webhook (sideEffects None or NoneOnDryRun).</summary>
    public bool SupportsDryRun => SideEffects is "None" or "NoneOnDryRun";
}
