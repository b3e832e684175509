using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Upstream's ValidatingAdmissionWebhook plugin: every matching webhook of every ValidatingWebhookConfiguration, called in
/// parallel with the object as it will be stored (after mutating webhooks and the kind's defaults). Any refusal refuses the
/// request; with several, the first webhook's in order is reported, so the answer does not depend on timing.
/// </summary>
internal sealed class ValidatingAdmissionWebhook(WebhookConfigurations configurations, WebhookMatcher matcher, WebhookDispatcher dispatcher) : IValidatingAdmissionPlugin
{
    public string Name => "ValidatingAdmissionWebhook";

    public async Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (WebhookMatcher.IsExempt(attributes.Resource))
        {
            return;
        }

        IReadOnlyList<CompiledWebhook> hooks = configurations.Validating();
        if (hooks.Count == 0)
        {
            return;
        }

        IReadOnlyDictionary<string, string>? namespaceLabels = matcher.NamespaceLabels(attributes);
        var calls = new List<(int Index, Task<ValidationOutcome> Outcome)>();
        for (int index = 0; index < hooks.Count; index++)
        {
            if (matcher.Match(hooks[index], attributes, namespaceLabels) is ResourceInfo matched)
            {
                calls.Add((index, dispatcher.ValidateAsync(hooks[index], attributes, matched, cancellationToken)));
            }
        }

        await Task.WhenAll(calls.Select(c => c.Outcome));
        foreach ((int index, Task<ValidationOutcome> outcome) in calls)
        {
            WebhookDispatcher.Apply(await outcome, attributes, index);
        }
    }
}
