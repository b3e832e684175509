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
    /// <summary>
    /// Replaces an object with what <paramref name="mutate"/> makes of the stored one (PUT passes the body; PATCH applies the
    /// patch), with compare-and-swap on the stored revision. A lost race is retried on the newer object; a resourceVersion the caller
    /// named must match it (409 otherwise). With <paramref name="createIfMissing"/> (server-side apply) a missing object is
    /// created from <c>mutate(null)</c>.
    /// </summary>
    public async Task<(JsonObject Object, bool Created)> UpdateAsync(
        ResourceInfo resource,
        string? ns,
        string name,
        string? subresource,
        Func<JsonObject?, JsonObject> mutate,
        WriteRequest request,
        bool createIfMissing,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(mutate);
        ArgumentNullException.ThrowIfNull(request);
        string key = StorageKeys.Object(resource, ns, name);
        ResourceStrategy strategy = _strategies.For(resource);
        for (int attempt = 0; ; attempt++)
        {
            KeyValue? stored = await _store.GetAsync(key, 0, cancellationToken);
            if (stored is null)
            {
                if (!createIfMissing || subresource is not null)
                {
                    throw ApiErrors.NotFound(resource.Group, resource.Plural, name);
                }

                JsonObject fresh = mutate(null);
                fresh["metadata"] ??= new JsonObject();
                fresh["metadata"]!["name"] ??= name;
                try
                {
                    return (await CreateAsync(resource, ns, fresh, request, cancellationToken), true);
                }
                catch (StatusException ex) when (ex.Reason == "AlreadyExists" && attempt < MaxAttempts)
                {
                    continue;
                }
            }

            JsonObject current = ObjectCodec.FromStored(stored.Value.Span, stored.ModRevision);
            JsonObject desired = mutate(current.DeepClone().AsObject());
            long expected = ParseResourceVersion(desired["metadata"]?["resourceVersion"]?.GetValue<string>(), resource, name);
            if (expected != 0 && expected != stored.ModRevision)
            {
                throw ApiErrors.Modified(resource.Group, resource.Plural, name);
            }

            JsonObject? result = await TryReplaceAsync(resource, strategy, ns, name, subresource, stored, current, desired, request, cancellationToken);
            if (result is not null)
            {
                return (result, false);
            }

            // Lost a race: try again on the newer object. A caller-named resourceVersion is checked against it at the top
            // (409 then); a patch that names none carries the stored version, so it is re-applied, as upstream retries.
            if (attempt >= MaxAttempts)
            {
                throw ApiErrors.Modified(resource.Group, resource.Plural, name);
            }
        }
    }

    private async Task<JsonObject?> TryReplaceAsync(
        ResourceInfo resource,
        ResourceStrategy strategy,
        string? ns,
        string name,
        string? subresource,
        KeyValue stored,
        JsonObject current,
        JsonObject desired,
        WriteRequest request,
        CancellationToken cancellationToken)
    {
        CheckTypeMeta(resource, desired);
        string? bodyName = desired["metadata"]?["name"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
        {
            throw ApiErrors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        strategy.PrepareJson(resource, desired, request);
        IKubernetesObject<V1ObjectMeta> old = ObjectCodec.Decode(resource, current, FieldValidation.Ignore, []);
        IKubernetesObject<V1ObjectMeta> item = ObjectCodec.Decode(resource, desired, request.Validation, request.Warnings);
        ApiContext context = Context(request);
        var admission = new Admission.AdmissionAttributes
        {
            Resource = resource,
            Subresource = subresource,
            Operation = Admission.AdmissionOperation.Update,
            Namespace = ns,
            Name = name,
            User = request.User,
            RequestResource = request.RequestResource,
            DryRun = request.DryRun,
            Object = item,
            OldObject = old,
            Context = context,
            Warnings = request.Warnings,
            AuditAnnotations = request.AuditAnnotations,
        };
        await _admission.AdmitAsync(admission, cancellationToken);
        item = admission.Object ?? item;

        // What follows is upstream's BeforeUpdate: it runs after mutating admission, so no plugin or webhook can set the status
        // of a main-resource write, the identity fields or a deletionTimestamp.
        if (subresource == "status")
        {
            // A status write changes only the status; everything else stays as stored.
            JsonObject merged = current.DeepClone().AsObject();
            SetStatus(merged, ObjectCodec.Encode(item)["status"]);
            item = ObjectCodec.Decode(resource, merged, FieldValidation.Ignore, []);
        }
        else if (strategy.PreservesStatus && resource.HasSubresource("status") && subresource != "binding")
        {
            // The main resource cannot change status (kubectl edit may send it; upstream ignores it). A binding sets both
            // spec.nodeName and the PodScheduled condition, as upstream's binding storage does.
            JsonObject withOldStatus = ObjectCodec.Encode(item);
            SetStatus(withOldStatus, current["status"]);
            item = ObjectCodec.Decode(resource, withOldStatus, FieldValidation.Ignore, []);
        }

        V1ObjectMeta metadata = item.Metadata ??= new V1ObjectMeta();
        V1ObjectMeta oldMetadata = old.Metadata;
        metadata.Name = oldMetadata.Name;
        metadata.NamespaceProperty = oldMetadata.NamespaceProperty;
        metadata.Uid = oldMetadata.Uid;
        metadata.CreationTimestamp = oldMetadata.CreationTimestamp;
        metadata.DeletionTimestamp = oldMetadata.DeletionTimestamp;
        metadata.DeletionGracePeriodSeconds = oldMetadata.DeletionGracePeriodSeconds;
        metadata.Generation = oldMetadata.Generation;
        metadata.ResourceVersion = null;
        metadata.SelfLink = null;
        // Server-side apply computes ownership itself (it may take fields from other managers); other writes keep it.
        List<V1ManagedFieldsEntry>? appliedOwnership = request.IsApply ? metadata.ManagedFields?.ToList() : null;
        metadata.ManagedFields = oldMetadata.ManagedFields;

        strategy.PrepareForUpdate(item, old, context);
        JsonObject oldJson = ObjectCodec.Encode(old);
        JsonObject newJson = ObjectCodec.Encode(item);
        if (newJson["spec"] is not null && !JsonNode.DeepEquals(newJson["spec"], oldJson["spec"]))
        {
            metadata.Generation = (oldMetadata.Generation ?? 0) + 1;
        }

        Validate(resource, strategy, item, old);
        await strategy.AdmitAsync(item, old, context, cancellationToken);
        admission.Object = item;
        await _admission.ValidateAsync(admission, cancellationToken);
        if (JsonNode.DeepEquals(WithoutManagedFields(ObjectCodec.Encode(item)), WithoutManagedFields(oldJson)))
        {
            // Nothing changes: upstream answers with the stored object and writes nothing.
            return current;
        }

        if (appliedOwnership is not null)
        {
            foreach (V1ManagedFieldsEntry entry in appliedOwnership.Where(e => e.Manager == request.FieldManager && e.Operation == "Apply"))
            {
                entry.Time = context.Now;
            }

            metadata.ManagedFields = appliedOwnership;
        }
        else
        {
            ManagedFields.Record(item, request.FieldManager, "Update", resource.ApiVersion, context.Now);
        }

        newJson = ObjectCodec.Encode(item);
        byte[] bytes = ObjectCodec.ToStored(newJson);
        Endpoints.BodyReader.EnsureStorable(name, bytes);
        // As upstream's ShouldDeleteDuringUpdate: only an object whose deletion has no grace left goes with its last finalizer;
        // a pod in its grace period stays until its kubelet deletes it with grace 0, however many status writes come first.
        bool finished = metadata.DeletionTimestamp is not null
            && (metadata.Finalizers is null || metadata.Finalizers.Count == 0)
            && (oldMetadata.DeletionGracePeriodSeconds ?? 0) == 0
            && !strategy.DefersDeletion(item);
        if (request.DryRun)
        {
            return newJson;
        }

        if (finished)
        {
            // The last finalizer is gone from an object being deleted: the update completes the deletion.
            WriteResult deleted = await _store.DeleteAsync(StorageKeys.Object(resource, ns, name), stored.ModRevision, cancellationToken);
            if (deleted.Status == WriteStatus.Conflict)
            {
                return null;
            }

            await strategy.ReleaseAsync(old, context, cancellationToken);
            newJson["metadata"]!["resourceVersion"] = Revision(deleted.Revision);
            return newJson;
        }

        WriteResult result = await _store.UpdateAsync(StorageKeys.Object(resource, ns, name), bytes, stored.ModRevision, strategy.TimeToLive, cancellationToken);
        switch (result.Status)
        {
            case WriteStatus.Conflict:
                return null;
            case WriteStatus.NotFound:
                throw ApiErrors.NotFound(resource.Group, resource.Plural, name);
        }

        newJson["metadata"]!["resourceVersion"] = Revision(result.Revision);
        return newJson;
    }

    /// <summary>
    /// Puts <paramref name="status"/> (a copy) into the object, or removes the field when there is none: an explicit JSON null
    /// would reach custom resources' schemas, which refuse null for an object-typed status.
    /// </summary>
    private static void SetStatus(JsonObject json, JsonNode? status)
    {
        if (status is null)
        {
            json.Remove("status");
        }
        else
        {
            json["status"] = status.DeepClone();
        }
    }

    private static JsonObject WithoutManagedFields(JsonObject json)
    {
        if (json["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
            metadata.Remove("resourceVersion");
        }

        return json;
    }
}
