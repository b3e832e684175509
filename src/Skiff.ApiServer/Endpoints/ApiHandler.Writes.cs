using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Patching;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Json;
using Skiff.Machinery.Selectors;

namespace Skiff.ApiServer.Endpoints;

internal sealed partial class ApiHandler
{
    private async Task CreateAsync(HttpContext context, RequestInfo request)
    {
        WriteRequest write = WriteOptions(context, request);
        JsonObject body = BodyReader.ParseObject(await BodyReader.ReadBytesAsync(context.Request, context.RequestAborted), BodyReader.MediaType(context.Request));
        JsonObject created = await _registry.CreateAsync(Storage(request), request.Namespace, _conversion.ToStorage(request.Resource, body), write, context.RequestAborted);
        await WaitForCrdAsync(request, created, write, context.RequestAborted);
        AddWarnings(context, write);
        await Responses.WriteObjectAsync(context, request.Resource, Out(request, created), 201, _printers, _timeProvider);
    }

    private async Task UpdateAsync(HttpContext context, RequestInfo request)
    {
        WriteRequest write = WriteOptions(context, request);
        JsonObject body = BodyReader.ParseObject(await BodyReader.ReadBytesAsync(context.Request, context.RequestAborted), BodyReader.MediaType(context.Request));
        if (request.Subresource == "scale")
        {
            await UpdateScaleAsync(context, request, write, _ => body);
            return;
        }

        (JsonObject updated, _) = await _registry.UpdateAsync(Storage(request), request.Namespace, request.Name!, request.Subresource, _ => _conversion.ToStorage(request.Resource, body), write, createIfMissing: false, context.RequestAborted);
        await WaitForCrdAsync(request, updated, write, context.RequestAborted);
        AddWarnings(context, write);
        await Responses.WriteObjectAsync(context, request.Resource, Out(request, updated), 200, _printers, _timeProvider);
    }

    private async Task PatchAsync(HttpContext context, RequestInfo request)
    {
        string mediaType = BodyReader.MediaType(context.Request);
        if (mediaType == "application/strategic-merge-patch+json" && request.Resource.IsCustom)
        {
            // Custom resources have no patch strategies; upstream refuses strategic merge for them.
            throw new StatusException(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
        }

        WriteRequest write = WriteOptions(context, request) with { IsApply = mediaType == "application/apply-patch+yaml" };
        JsonNode patch = BodyReader.ParseNode(await BodyReader.ReadBytesAsync(context.Request, context.RequestAborted), mediaType)
            ?? throw ApiErrors.BadRequest("the patch is empty");
        Func<JsonObject, JsonObject> apply = mediaType switch
        {
            "application/json-patch+json" => current => AsObject(JsonPatch.Apply(current, patch)),
            "application/merge-patch+json" => current => AsObject(MergePatch.Apply(current, patch)),
            "application/strategic-merge-patch+json" => current => StrategicMergePatch.Apply(current, patch, request.Subresource == "scale" ? typeof(V1Scale) : request.Resource.ClrType),
            "application/apply-patch+yaml" => current => ServerSideApply.Apply(current, AsObject(patch), write.FieldManager, QueryFlag.IsTrue(context.Request.Query["force"]), request.Resource),
            _ => throw ApiErrors.UnsupportedMediaType(mediaType),
        };

        if (request.Subresource == "scale")
        {
            await UpdateScaleAsync(context, request, write, scale => apply(scale));
            return;
        }

        bool isApply = mediaType == "application/apply-patch+yaml";
        if (isApply && string.IsNullOrEmpty(context.Request.Query["fieldManager"]))
        {
            throw ApiErrors.BadRequest("PATCH with apply-patch+yaml requires a fieldManager parameter");
        }

        // As upstream's patcher: an apply that creates the object must also be allowed to create it (asked once, before the
        // write, and used only when the object turns out to be missing).
        var createAttributes = new Authorization.AuthorizationAttributes(write.User, "create", request.Resource.Group, request.Resource.Plural, request.Subresource, request.Namespace, request.Name);
        (bool createAllowed, string createReason) = isApply ? await _authorizer.AuthorizeAsync(createAttributes, context.RequestAborted) : (false, string.Empty);
        (JsonObject updated, bool created) = await _registry.UpdateAsync(
            Storage(request),
            request.Namespace,
            request.Name!,
            request.Subresource,
            current => _conversion.ToStorage(request.Resource, current is not null ? apply(Out(request, current))
                : createAllowed ? ServerSideApply.Create(AsObject(patch), write.FieldManager)
                : throw ApiErrors.Forbidden(request.Resource.Group, request.Resource.Plural, request.Name, createReason)),
            write,
            createIfMissing: isApply,
            context.RequestAborted);
        await WaitForCrdAsync(request, updated, write, context.RequestAborted);
        AddWarnings(context, write);
        await Responses.WriteObjectAsync(context, request.Resource, Out(request, updated), created ? 201 : 200, _printers, _timeProvider);
    }

    private async Task UpdateScaleAsync(HttpContext context, RequestInfo request, WriteRequest write, Func<JsonObject, JsonObject> changeScale)
    {
        (JsonObject updated, _) = await _registry.UpdateAsync(
            Storage(request),
            request.Namespace,
            request.Name!,
            subresource: null,
            current =>
            {
                // In the request's version: a custom resource is stored in its CRD's storage version.
                JsonObject item = Out(request, current!);
                JsonObject scale = changeScale(Scale.From(request.Resource, item, CustomScale(request)));
                return Scale.ApplyTo(request.Resource, item, scale, CustomScale(request));
            },
            write,
            createIfMissing: false,
            context.RequestAborted);
        await Responses.WriteJsonAsync(context, Scale.From(request.Resource, Out(request, updated), CustomScale(request)), 200);
    }

    private async Task DeleteAsync(HttpContext context, RequestInfo request)
    {
        V1DeleteOptions? options = await ReadDeleteOptionsAsync(context);
        bool dryRun = IsDryRun(context) || (options?.DryRun?.Contains("All") ?? false);
        _registry.ValidateDelete(Storage(request), request.Name!);
        (JsonObject item, bool removed) = await _registry.DeleteAsync(Storage(request), request.Namespace, request.Name!, options, dryRun, context.RequestAborted, Caller(context));
        item = Out(request, item);
        if (removed && !_registry.ReturnsDeletedObject(request.Resource))
        {
            await Responses.WriteStatusAsync(context, Responses.Success(request.Resource, request.Name!, item["metadata"]?["uid"]?.GetValue<string>()));
            return;
        }

        await Responses.WriteObjectAsync(context, request.Resource, item, 200, _printers, _timeProvider);
    }

    private async Task DeleteCollectionAsync(HttpContext context, RequestInfo request)
    {
        V1DeleteOptions? options = await ReadDeleteOptionsAsync(context);
        bool dryRun = IsDryRun(context) || (options?.DryRun?.Contains("All") ?? false);
        (LabelSelector labels, FieldSelector fields) = Selectors(request.Resource, context.Request.Query);
        await _cache.SyncAsync(context.RequestAborted);
        string prefix = StorageKeys.ListPrefix(request.Resource, request.Namespace);
        var deleted = new JsonArray();
        foreach (WatchCache.CachedObject item in _cache.Bucket(request.Resource).Snapshot(prefix, null).Where(o => labels.Matches(o.Labels) && fields.Matches(o.Fields)))
        {
            try
            {
                (JsonObject gone, _) = await _registry.DeleteAsync(Storage(request), item.Namespace, item.Name, options, dryRun, context.RequestAborted, Caller(context));
                deleted.Add(Out(request, gone));
            }
            catch (StatusException ex) when (ex.Code == 404)
            {
                // Deleted meanwhile: that is what was asked.
            }
        }

        var list = new JsonObject
        {
            ["kind"] = request.Resource.ListKind,
            ["apiVersion"] = request.Resource.ApiVersion,
            ["metadata"] = new JsonObject(),
            ["items"] = deleted,
        };
        await Responses.WriteJsonAsync(context, list, 200);
    }

    private static async Task<V1DeleteOptions?> ReadDeleteOptionsAsync(HttpContext context)
    {
        byte[] body = await BodyReader.ReadBytesAsync(context.Request, context.RequestAborted);
        V1DeleteOptions? options = null;
        if (body.Length > 0)
        {
            JsonObject json = BodyReader.ParseObject(body, BodyReader.MediaType(context.Request));
            try
            {
                options = json.Deserialize<V1DeleteOptions>(SkiffJson.Options);
            }
            catch (JsonException ex)
            {
                throw ApiErrors.BadRequest($"the delete options are not valid: {ex.Message}");
            }
        }

        IQueryCollection query = context.Request.Query;
        if (query.ContainsKey("gracePeriodSeconds") && long.TryParse(query["gracePeriodSeconds"], out long grace))
        {
            options ??= new V1DeleteOptions();
            options.GracePeriodSeconds = grace;
        }

        if (query.ContainsKey("propagationPolicy"))
        {
            options ??= new V1DeleteOptions();
            options.PropagationPolicy = query["propagationPolicy"];
        }

        return options;
    }

    private static WriteRequest WriteOptions(HttpContext context, RequestInfo request)
    {
        IQueryCollection query = context.Request.Query;
        FieldValidation validation = query["fieldValidation"].ToString() switch
        {
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            "Warn" or "" => FieldValidation.Warn,
            string other => throw ApiErrors.BadRequest($"fieldValidation must be one of Ignore, Warn or Strict, not \"{other}\""),
        };
        string manager = query["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            // Upstream derives the manager from the User-Agent's program name when none is given.
            string agent = context.Request.Headers.UserAgent.ToString();
            manager = agent.Length == 0 ? "unknown" : agent.Split('/')[0];
        }

        return new WriteRequest(manager, validation, IsDryRun(context)) { User = Caller(context), AuditAnnotations = Audit.AuditScope.AnnotationsOf(context), RequestResource = request.Resource };
    }

    /// <summary>The authenticated caller HandleResourceRequestAsync recorded; admission sees it as the request's user.</summary>
    private static UserInfo Caller(HttpContext context) => context.Items[typeof(UserInfo)] as UserInfo ?? UserInfo.ApiServer;

    private static bool IsDryRun(HttpContext context)
    {
        string dryRun = context.Request.Query["dryRun"].ToString();
        return dryRun switch
        {
            "" => false,
            "All" => true,
            _ => throw ApiErrors.BadRequest($"dryRun must be All, not \"{dryRun}\""),
        };
    }

    private static void AddWarnings(HttpContext context, WriteRequest write)
    {
        foreach (string warning in write.Warnings)
        {
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
    }

    /// <summary>
    /// After a CRD write, waits briefly for the CRD controller to serve (or stop serving) its kind, so the writer's next
    /// command sees it (kubectl apply -f crd.yaml, then kubectl get of the kind).
    /// </summary>
    private Task WaitForCrdAsync(RequestInfo request, JsonObject written, WriteRequest write, CancellationToken cancellationToken)
    {
        if (write.DryRun || request.Subresource is not null || request.Resource.Group != "apiextensions.k8s.io" || request.Resource.Plural != "customresourcedefinitions"
            || written["metadata"]?["name"]?.GetValue<string>() is not { } name
            || !long.TryParse(written["metadata"]?["resourceVersion"]?.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out long revision))
        {
            return Task.CompletedTask;
        }

        return _customResources.WaitReconciledAsync(name, revision, TimeSpan.FromSeconds(2), _timeProvider, cancellationToken);
    }

    private static JsonObject AsObject(JsonNode? node) =>
        node as JsonObject ?? throw ApiErrors.BadRequest("the patched result is not a JSON object");
}
