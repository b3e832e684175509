using Skiff.Machinery.Selectors;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// One webhook ready to match and call: its definition with defaults filled in and its selectors parsed. Immutable; a
/// snapshot of these replaces the previous one when a configuration changes.
/// </summary>
/// <param name="ConfigurationName">The MutatingWebhookConfiguration or ValidatingWebhookConfiguration that holds it.</param>
/// <param name="Index">Its position in that configuration's webhooks.</param>
/// <param name="Definition">The webhook as configured.</param>
/// <param name="NamespaceSelector">The parsed namespaceSelector (empty: every namespace).</param>
/// <param name="ObjectSelector">The parsed objectSelector (empty: every object).</param>
internal sealed record CompiledWebhook(string ConfigurationName, int Index, WebhookDefinition Definition, LabelSelector NamespaceSelector, LabelSelector ObjectSelector)
{
    public string Name => Definition.Name;

    /// <summary>Identifies the webhook across one request (upstream's hook UID, used for reinvocation).</summary>
    public string Key => $"{ConfigurationName}/{Index}";

    public bool FailOpen => Definition.FailurePolicy == WebhookDefinition.Ignore;

    public bool Exact => Definition.MatchPolicy == WebhookDefinition.Exact;

    public bool ReinvokeIfNeeded => Definition.ReinvocationPolicy == WebhookDefinition.IfNeeded;

    public TimeSpan Timeout => TimeSpan.FromSeconds(Definition.TimeoutSeconds ?? WebhookDefinition.DefaultTimeoutSeconds);

    public static CompiledWebhook Compile(string configurationName, int index, WebhookDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        // A missing selector means everything (upstream defaults both to {}), unlike a workload's missing selector.
        return new CompiledWebhook(
            configurationName,
            index,
            definition,
            LabelSelector.FromModel(definition.NamespaceSelector ?? new k8s.Models.V1LabelSelector()),
            LabelSelector.FromModel(definition.ObjectSelector ?? new k8s.Models.V1LabelSelector()));
    }
}
