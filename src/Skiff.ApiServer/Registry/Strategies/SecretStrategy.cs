using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// Secrets: type Opaque by default; the type cannot change; <c>stringData</c> is write-only, as upstream's conversion makes it:
/// its keys are written into <c>data</c> (over keys of the same name) before the body is decoded, and it is never stored.
/// </summary>
internal sealed class SecretStrategy : ResourceStrategy
{
    public override void PrepareJson(ResourceInfo resource, JsonObject json, WriteRequest request)
    {
        ArgumentNullException.ThrowIfNull(json);

        // Upstream folds stringData into data when it decodes the body, so admission (and webhooks) never see the plaintext.
        // A non-string value is left for decoding to refuse with 400.
        if (json["stringData"] is JsonObject strings && strings.All(e => e.Value is JsonValue v && v.TryGetValue(out string? _)))
        {
            if (json["data"] is not JsonObject data)
            {
                data = [];
                json["data"] = data;
            }

            foreach ((string key, JsonNode? value) in strings)
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value!.GetValue<string>()));
            }

            json.Remove("stringData");
        }
    }

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
