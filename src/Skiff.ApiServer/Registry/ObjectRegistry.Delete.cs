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
    /// Deletes an object. Objects with finalizers, a grace period (scheduled pods) or a deferred deletion (namespaces) get a
    /// deletionTimestamp and stay until their owner finishes; others are removed at once. Returns the object (its last state)
    /// and whether it is gone.
    /// </summary>
    public async Task<(JsonObject Object, bool Removed)> DeleteAsync(
        ResourceInfo resource,
        string? ns,
        string name,
        V1DeleteOptions? options,
        bool dryRun,
        CancellationToken cancellationToken,
        Authentication.UserInfo? user = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string key = StorageKeys.Object(resource, ns, name);
        ResourceStrategy strategy = _strategies.For(resource);
        var context = new ApiContext(_timeProvider, _store, _options, dryRun);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            KeyValue stored = await _store.GetAsync(key, 0, cancellationToken)
                ?? throw ApiErrors.NotFound(resource.Group, resource.Plural, name);
            JsonObject current = ObjectCodec.FromStored(stored.Value.Span, stored.ModRevision);
            IKubernetesObject<V1ObjectMeta> item = ObjectCodec.Decode(resource, current, FieldValidation.Ignore, []);
            V1ObjectMeta metadata = item.Metadata;
            CheckPreconditions(resource, name, options?.Preconditions, metadata, stored.ModRevision);
            await _admission.ValidateAsync(
                new Admission.AdmissionAttributes
                {
                    Resource = resource,
                    Operation = Admission.AdmissionOperation.Delete,
                    Namespace = ns,
                    Name = name,
                    User = user ?? Authentication.UserInfo.ApiServer,
                    DryRun = dryRun,
                    OldObject = item,
                    Options = options,
                    Context = context,
                },
                cancellationToken);

            var finalizers = new List<string>(metadata.Finalizers ?? []);
            switch (options?.PropagationPolicy)
            {
                case "Orphan" when !finalizers.Contains("orphan"):
                    finalizers.Add("orphan");
                    break;
                case "Foreground" when !finalizers.Contains("foregroundDeletion"):
                    finalizers.Add("foregroundDeletion");
                    break;
            }

            long grace = strategy.GracePeriodSeconds(item, options);
            bool deferred = strategy.DefersDeletion(item);
            if (finalizers.Count > 0 || grace > 0 || deferred)
            {
                if (metadata.DeletionTimestamp is not null && (metadata.DeletionGracePeriodSeconds ?? 0) <= grace && finalizers.Count == (metadata.Finalizers?.Count ?? 0))
                {
                    return (current, false);
                }

                metadata.Finalizers = finalizers.Count > 0 ? finalizers : null;
                DateTime now = context.Now;
                DateTime deadline = now.AddSeconds(grace);
                if (metadata.DeletionTimestamp is null || metadata.DeletionTimestamp > deadline)
                {
                    metadata.DeletionTimestamp = deadline;
                    metadata.DeletionGracePeriodSeconds = grace;
                }

                strategy.PrepareForDeferredDeletion(item);
                JsonObject marked = ObjectCodec.Encode(item);
                if (dryRun)
                {
                    return (marked, false);
                }

                WriteResult result = await _store.UpdateAsync(key, ObjectCodec.ToStored(marked), stored.ModRevision, strategy.TimeToLive, cancellationToken);
                if (result.Status == WriteStatus.Ok)
                {
                    marked["metadata"]!["resourceVersion"] = Revision(result.Revision);
                    return (marked, false);
                }

                continue;
            }

            if (dryRun)
            {
                return (current, false);
            }

            WriteResult deleted = await _store.DeleteAsync(key, stored.ModRevision, cancellationToken);
            if (deleted.Status == WriteStatus.Ok)
            {
                await strategy.ReleaseAsync(item, context, cancellationToken);
                current["metadata"]!["resourceVersion"] = Revision(deleted.Revision);
                return (current, true);
            }

            if (deleted.Status == WriteStatus.NotFound)
            {
                throw ApiErrors.NotFound(resource.Group, resource.Plural, name);
            }
        }

        throw ApiErrors.Modified(resource.Group, resource.Plural, name);
    }

    private static void CheckPreconditions(ResourceInfo resource, string name, V1Preconditions? preconditions, V1ObjectMeta metadata, long revision)
    {
        if (preconditions?.Uid is { Length: > 0 } uid && uid != metadata.Uid)
        {
            throw ApiErrors.Conflict(resource.Group, resource.Plural, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {metadata.Uid}");
        }

        if (preconditions?.ResourceVersion is { Length: > 0 } rv && rv != Revision(revision))
        {
            throw ApiErrors.Conflict(resource.Group, resource.Plural, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {Revision(revision)}");
        }
    }
}
