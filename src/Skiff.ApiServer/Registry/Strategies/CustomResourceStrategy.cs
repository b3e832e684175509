using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.ApiServer.CustomResources;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// The rules for every custom resource (upstream's customresource strategy), driven by the served version's schema: defaults
/// and pruning on the way in (unknown fields are reported as fieldValidation says), validation, upstream's generation rule,
/// and the status subresource rules. Objects are stored in the CRD's storage version; only apiVersion changes (conversion None).
/// </summary>
internal sealed class CustomResourceStrategy(ServedCustomResources served) : ResourceStrategy
{
    /// <inheritdoc/>
    public override void PrepareJson(ResourceInfo resource, JsonObject json, WriteRequest request)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(request);
        ServedCustomResource version = served.Find(resource)
            ?? throw new StatusException(404, "NotFound", $"the server could not find the requested resource ({resource.QualifiedName})");
        version.Schema.ApplyDefaults(json);
        var unknown = new List<string>();
        version.Schema.Prune(json, unknown);
        if (unknown.Count == 0 || request.Validation == FieldValidation.Ignore)
        {
            return;
        }

        if (request.Validation == FieldValidation.Strict)
        {
            throw ApiErrors.BadRequest("strict decoding error: " + string.Join(", ", unknown.Select(f => $"unknown field \"{f}\"")));
        }

        request.Warnings.AddRange(unknown.Select(f => $"unknown field \"{f}\""));
    }

    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context)
    {
        ArgumentNullException.ThrowIfNull(item);
        ServedCustomResource? version = served.FindKind(item.ApiVersion, item.Kind);
        if (version is not null && served.IsTerminating(version))
        {
            // Upstream's CRD handler: the objects are being deleted, so no new ones.
            throw new StatusException(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating");
        }

        if (version is { HasStatus: true } && item is CustomResource custom)
        {
            // With the status subresource, status is written only through /status (upstream drops it on create).
            custom.Fields?.Remove("status");
        }

        item.Metadata.Generation = 1;
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(old);
        if (item is not CustomResource custom || old is not CustomResource previous)
        {
            return;
        }

        // Upstream bumps the generation on any change outside metadata, and also outside status when /status is separate.
        bool statusApart = served.FindKind(item.ApiVersion, item.Kind)?.HasStatus ?? false;
        if (!JsonNode.DeepEquals(Content(custom, statusApart), Content(previous, statusApart)))
        {
            item.Metadata.Generation = (old.Metadata?.Generation ?? 0) + 1;
        }
    }

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (served.FindKind(item.ApiVersion, item.Kind) is { } version)
        {
            version.Schema.Validate(ObjectCodec.Encode(item), errors);
        }
    }

    public override Task AdmitAsync(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ApiContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);

        // Last step before the store: every version is kept as the storage version (conversion None rewrites apiVersion only).
        if (served.FindKind(item.ApiVersion, item.Kind) is { } version)
        {
            item.ApiVersion = version.StorageApiVersion;
        }

        return Task.CompletedTask;
    }

    private static JsonObject Content(CustomResource item, bool withoutStatus)
    {
        var content = new JsonObject();
        foreach ((string name, System.Text.Json.JsonElement value) in item.Fields ?? new Dictionary<string, System.Text.Json.JsonElement>())
        {
            if (!(withoutStatus && name == "status"))
            {
                content[name] = JsonNode.Parse(value.GetRawText());
            }
        }

        return content;
    }
}
