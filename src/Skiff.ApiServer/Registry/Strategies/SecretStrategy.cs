using k8s;
using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// Secrets: type Opaque by default; the type cannot change; <c>stringData</c> is write-only, as upstream's conversion makes it:
/// its keys are written into <c>data</c> (over keys of the same name) and it is never stored.
/// </summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context) => Prepare((V1Secret)item);

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context) => Prepare((V1Secret)item);

    private static void Prepare(V1Secret secret)
    {
        secret.Type ??= "Opaque";
        if (secret.StringData is { Count: > 0 } strings)
        {
            secret.Data ??= new Dictionary<string, byte[]>();
            foreach ((string key, string value) in strings)
            {
                secret.Data[key] = System.Text.Encoding.UTF8.GetBytes(value);
            }
        }

        secret.StringData = null;
    }

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
