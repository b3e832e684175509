using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Skiff.ApiServer.Registry.Strategies;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Registry;

internal sealed partial class ObjectRegistry
{
    /// <summary>Creates an object (POST); returns it with its resourceVersion, or what would be stored under dryRun.</summary>
    public async Task<JsonObject> CreateAsync(ResourceInfo resource, string? ns, JsonObject body, WriteRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(request);
        CheckTypeMeta(resource, body);
        ResourceStrategy strategy = _strategies.For(resource);
        strategy.PrepareJson(resource, body, request);
        IKubernetesObject<V1ObjectMeta> item = ObjectCodec.Decode(resource, body, request.Validation, request.Warnings);
        V1ObjectMeta metadata = item.Metadata ??= new V1ObjectMeta();
        SetNamespace(resource, ns, metadata);
        if (string.IsNullOrEmpty(metadata.Name) && !string.IsNullOrEmpty(metadata.GenerateName))
        {
            metadata.Name = GenerateName(metadata.GenerateName);
        }

        CheckName(resource, strategy, metadata);

        // Answer AlreadyExists before the strategy reserves anything (an existing Service holds the ClusterIP it would ask for).
        if (await _store.GetAsync(StorageKeys.Object(resource, metadata.NamespaceProperty, metadata.Name), 0, cancellationToken) is not null)
        {
            throw ApiErrors.AlreadyExists(resource.Group, resource.Plural, metadata.Name);
        }

        return await CreatePreparedAsync(resource, strategy, item, request, cancellationToken);
    }

    private async Task<JsonObject> CreatePreparedAsync(ResourceInfo resource, ResourceStrategy strategy, IKubernetesObject<V1ObjectMeta> item, WriteRequest request, CancellationToken cancellationToken)
    {
        V1ObjectMeta metadata = item.Metadata;
        ApiContext context = Context(request);
        bool stored = false;
        var admission = new Admission.AdmissionAttributes
        {
            Resource = resource,
            Operation = Admission.AdmissionOperation.Create,
            Namespace = metadata.NamespaceProperty,
            Name = metadata.Name,
            User = request.User,
            RequestResource = request.RequestResource,
            DryRun = request.DryRun,
            Object = item,
            Context = context,
            Warnings = request.Warnings,
            AuditAnnotations = request.AuditAnnotations,
        };
        await _admission.AdmitAsync(admission, cancellationToken);
        item = admission.Object ?? item;

        // The system fields are set after mutating admission (upstream's BeforeCreate), so no plugin or webhook can choose
        // them: a patch adding a deletionTimestamp or a uid has no effect.
        item.Metadata ??= new V1ObjectMeta();
        item.Metadata.Name = metadata.Name;
        item.Metadata.NamespaceProperty = metadata.NamespaceProperty;
        metadata = item.Metadata;
        metadata.Uid = Guid.NewGuid().ToString();
        metadata.CreationTimestamp = context.Now;
        metadata.ResourceVersion = null;
        metadata.DeletionTimestamp = null;
        metadata.DeletionGracePeriodSeconds = null;
        metadata.SelfLink = null;
        metadata.Generation = null;
        ManagedFields.Record(item, request.FieldManager, "Update", resource.ApiVersion, context.Now);
        try
        {
            await strategy.PrepareForCreateAsync(item, context, cancellationToken);
            if (ObjectCodec.Encode(item)["spec"] is not null)
            {
                metadata.Generation = 1;
            }

            Validate(resource, strategy, item, null);
            await strategy.AdmitAsync(item, null, context, cancellationToken);
            admission.Object = item;
            await _admission.ValidateAsync(admission, cancellationToken);
            JsonObject json = ObjectCodec.Encode(item);
            byte[] bytes = ObjectCodec.ToStored(json);
            Endpoints.BodyReader.EnsureStorable(metadata.Name, bytes);
            if (request.DryRun)
            {
                return json;
            }

            WriteResult result = await _store.CreateAsync(StorageKeys.Object(resource, metadata.NamespaceProperty, metadata.Name), bytes, strategy.TimeToLive, cancellationToken);
            if (result.Status == WriteStatus.AlreadyExists)
            {
                throw ApiErrors.AlreadyExists(resource.Group, resource.Plural, metadata.Name);
            }

            stored = true;
            json["metadata"]!["resourceVersion"] = Revision(result.Revision);
            return json;
        }
        finally
        {
            if (!stored && !request.DryRun)
            {
                // Give back whatever the strategy reserved (ClusterIPs, NodePorts) for an object that was not stored.
                await strategy.ReleaseAsync(item, context, CancellationToken.None);
            }
        }
    }

    /// <summary>A body's apiVersion and kind must name the URL's resource (they may be omitted).</summary>
    private static void CheckTypeMeta(ResourceInfo resource, JsonObject body)
    {
        string? apiVersion = body["apiVersion"]?.GetValue<string>();
        string? kind = body["kind"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != resource.ApiVersion)
        {
            throw ApiErrors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({resource.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != resource.Kind)
        {
            throw ApiErrors.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({resource.Kind}) for {resource.QualifiedName}");
        }

        body["apiVersion"] = resource.ApiVersion;
        body["kind"] = resource.Kind;
    }

    private static void SetNamespace(ResourceInfo resource, string? ns, V1ObjectMeta metadata)
    {
        if (!resource.Namespaced)
        {
            metadata.NamespaceProperty = null;
            return;
        }

        if (!string.IsNullOrEmpty(metadata.NamespaceProperty) && metadata.NamespaceProperty != ns)
        {
            throw ApiErrors.BadRequest($"the namespace of the provided object ({metadata.NamespaceProperty}) does not match the namespace sent on the request ({ns})");
        }

        metadata.NamespaceProperty = ns;
    }
}
