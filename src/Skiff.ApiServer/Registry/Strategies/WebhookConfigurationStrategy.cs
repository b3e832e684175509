using k8s;
using k8s.Models;
using Skiff.ApiServer.Admission.Webhooks;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// MutatingWebhookConfigurations and ValidatingWebhookConfigurations (admissionregistration.k8s.io/v1): upstream's defaults
/// and validation on create and update, so a configuration the admission webhooks cannot use is refused with 422.
/// </summary>
internal sealed class WebhookConfigurationStrategy : ResourceStrategy
{
    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context) => Defaults(item);

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context) => Defaults(item);

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors) =>
        WebhookValidation.Validate(Definitions(item), errors);

    private static void Defaults(IKubernetesObject<V1ObjectMeta> item)
    {
        switch (item)
        {
            case V1MutatingWebhookConfiguration mutating:
                WebhookDefaults.Apply(mutating);
                break;
            case V1ValidatingWebhookConfiguration validating:
                WebhookDefaults.Apply(validating);
                break;
        }
    }

    private static IEnumerable<WebhookDefinition> Definitions(IKubernetesObject<V1ObjectMeta> item) => item switch
    {
        V1MutatingWebhookConfiguration mutating => (mutating.Webhooks ?? []).Select(WebhookDefinition.From),
        V1ValidatingWebhookConfiguration validating => (validating.Webhooks ?? []).Select(WebhookDefinition.From),
        _ => [],
    };
}
