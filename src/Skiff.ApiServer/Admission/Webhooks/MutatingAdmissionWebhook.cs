using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Upstream's MutatingAdmissionWebhook plugin: every matching webhook of every MutatingWebhookConfiguration, one after the
/// other (configurations by name, webhooks in their order), each seeing the previous one's changes. Then, once, the
/// webhooks with reinvocationPolicy IfNeeded that ran before a later webhook changed the object are called again, so they
/// see the final object (upstream's reinvocation; Skiff's chain runs this plugin last among the mutating ones, so only
/// webhooks can have made such changes).
/// </summary>
internal sealed class MutatingAdmissionWebhook(WebhookConfigurations configurations, WebhookMatcher matcher, WebhookDispatcher dispatcher) : IMutatingAdmissionPlugin
{
    public string Name => "MutatingAdmissionWebhook";

    public async Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (WebhookMatcher.IsExempt(attributes.Resource))
        {
            return;
        }

        IReadOnlyList<CompiledWebhook> hooks = configurations.Mutating();
        // A namespace's labels are read once per request; a Namespace's own labels are its object's, which a webhook may
        // have just changed, so those are taken again for each hook (as upstream's matcher reads the current object).
        bool ownLabels = attributes.Resource.Group.Length == 0 && attributes.Resource.Plural == "namespaces";
        IReadOnlyDictionary<string, string>? namespaceLabels = ownLabels || hooks.Count == 0 ? null : matcher.NamespaceLabels(attributes);
        var invokedReinvocable = new List<string>();
        var reinvoke = new HashSet<string>(StringComparer.Ordinal);
        for (int round = 0; round < 2; round++)
        {
            if (round == 1 && reinvoke.Count == 0)
            {
                return;
            }

            for (int index = 0; index < hooks.Count; index++)
            {
                CompiledWebhook hook = hooks[index];
                if (round == 1 && !reinvoke.Contains(hook.Key))
                {
                    continue;
                }

                if (matcher.Match(hook, attributes, ownLabels ? matcher.NamespaceLabels(attributes) : namespaceLabels) is not ResourceInfo matched)
                {
                    continue;
                }

                bool changed = await dispatcher.MutateAsync(hook, attributes, matched, round, index, cancellationToken);
                if (round == 0)
                {
                    if (changed)
                    {
                        // Every IfNeeded webhook called so far has not seen this change.
                        reinvoke.UnionWith(invokedReinvocable);
                    }

                    if (hook.ReinvokeIfNeeded)
                    {
                        invokedReinvocable.Add(hook.Key);
                    }
                }
            }
        }
    }
}
