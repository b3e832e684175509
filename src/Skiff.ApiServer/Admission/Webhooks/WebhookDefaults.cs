using k8s.Models;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Upstream's admissionregistration.k8s.io/v1 defaults, applied when a configuration is written so that <c>kubectl get -o
/// yaml</c> shows what the API server will do: failurePolicy Fail, matchPolicy Equivalent, empty selectors (everything),
/// timeoutSeconds 10, reinvocationPolicy Never, rule scope "*", service port 443.
/// </summary>
internal static class WebhookDefaults
{
    public static void Apply(V1MutatingWebhookConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (V1MutatingWebhook hook in configuration.Webhooks ?? [])
        {
            hook.FailurePolicy ??= WebhookDefinition.Fail;
            hook.MatchPolicy ??= WebhookDefinition.Equivalent;
            hook.NamespaceSelector ??= new V1LabelSelector();
            hook.ObjectSelector ??= new V1LabelSelector();
            hook.TimeoutSeconds ??= WebhookDefinition.DefaultTimeoutSeconds;
            hook.ReinvocationPolicy ??= WebhookDefinition.Never;
            Common(hook.Rules, hook.ClientConfig);
        }
    }

    public static void Apply(V1ValidatingWebhookConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (V1ValidatingWebhook hook in configuration.Webhooks ?? [])
        {
            hook.FailurePolicy ??= WebhookDefinition.Fail;
            hook.MatchPolicy ??= WebhookDefinition.Equivalent;
            hook.NamespaceSelector ??= new V1LabelSelector();
            hook.ObjectSelector ??= new V1LabelSelector();
            hook.TimeoutSeconds ??= WebhookDefinition.DefaultTimeoutSeconds;
            Common(hook.Rules, hook.ClientConfig);
        }
    }

    private static void Common(IList<V1RuleWithOperations>? rules, Admissionregistrationv1WebhookClientConfig? clientConfig)
    {
        foreach (V1RuleWithOperations rule in rules ?? [])
        {
            rule.Scope ??= "*";
        }

        if (clientConfig?.Service is { } service)
        {
            service.Port ??= WebhookDefinition.DefaultServicePort;
        }
    }
}
