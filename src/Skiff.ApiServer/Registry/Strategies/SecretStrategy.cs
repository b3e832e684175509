using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Secrets: type Opaque by default; the type cannot change.</summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context) => ((V1Secret)item).Type ??= "Opaque";

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context) => ((V1Secret)item).Type ??= "Opaque";

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        if (old is V1Secret previous && previous.Type != ((V1Secret)item).Type)
        {
            errors.Immutable("type", ((V1Secret)item).Type);
        }

        if (old is V1Secret { Immutable: true } frozen && !System.Text.Json.Nodes.JsonNode.DeepEquals(ObjectCodec.Encode(item)["data"], ObjectCodec.Encode(frozen)["data"]))
        {
            errors.Forbidden("data", "field is immutable when `immutable` is set");
        }
    }
}
