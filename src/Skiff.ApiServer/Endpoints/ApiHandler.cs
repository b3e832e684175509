using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Skiff.ApiServer.Authentication;
using Skiff.ApiServer.Authorization;
using Skiff.ApiServer.Instrumentation;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.Tables;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;
using Skiff.Machinery.Selectors;
using Skiff.Store;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// Serves <c>/api</c> and <c>/apis</c>: discovery, then every resource verb. The order follows upstream's handler chain:
/// authenticate, authorize, then the resource handler (decode, admission/strategy, store).
/// </summary>
internal sealed partial class ApiHandler
{
    private readonly ResourceCatalog _catalog;
    private readonly DiscoveryDocuments _discovery;
    private readonly ObjectRegistry _registry;
    private readonly ApiWatchCache _cache;
    private readonly IRevisionedStore _store;
    private readonly RequestAuthenticator _authenticator;
    private readonly AuthorizerChain _authorizer;
    private readonly TablePrinters _printers;
    private readonly OpenApi.OpenApiDocuments _openApi;
    private readonly ServiceAccountTokens _tokens;
    private readonly Conversion.VersionConversion _conversion;
    private readonly TimeProvider _timeProvider;
    private readonly ApiServerMetrics _metrics;
    private readonly KubeletProxy _kubelets;
    private readonly Audit.AuditRecorder _audit;
    private readonly CustomResources.ServedCustomResources _customResources;
    private readonly CustomResources.CustomResourceOpenApi _customOpenApi;
    private readonly ILogger<ApiHandler> _logger;

    public ApiHandler(
        ResourceCatalog catalog,
        DiscoveryDocuments discovery,
        ObjectRegistry registry,
        ApiWatchCache cache,
        IRevisionedStore store,
        RequestAuthenticator authenticator,
        AuthorizerChain authorizer,
        TablePrinters printers,
        OpenApi.OpenApiDocuments openApi,
        ServiceAccountTokens tokens,
        Conversion.VersionConversion conversion,
        TimeProvider timeProvider,
        ApiServerMetrics metrics,
        KubeletProxy kubelets,
        Audit.AuditRecorder audit,
        CustomResources.ServedCustomResources customResources,
        CustomResources.CustomResourceOpenApi customOpenApi,
        ILogger<ApiHandler> logger)
    {
        _catalog = catalog;
        _discovery = discovery;
        _registry = registry;
        _cache = cache;
        _store = store;
        _authenticator = authenticator;
        _authorizer = authorizer;
        _printers = printers;
        _openApi = openApi;
        _tokens = tokens;
        _conversion = conversion;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _kubelets = kubelets;
        _audit = audit;
        _customResources = customResources;
        _customOpenApi = customOpenApi;
        _logger = logger;
    }

    public Task HandleAsync(HttpContext context) => _metrics.InstrumentAsync(context, c => _audit.RecordAsync(c, HandleResourceRequestAsync));

    private async Task HandleResourceRequestAsync(HttpContext context)
    {
        try
        {
            UserInfo requester = await _authenticator.AuthenticateAsync(context, context.RequestAborted) ?? throw ApiErrors.Unauthorized();
            Audit.AuditScope? audit = Audit.AuditScope.Of(context);
            audit?.Authenticated(requester);
            UserInfo user = await Impersonation.ApplyAsync(context, requester, _authorizer, context.RequestAborted);
            if (!ReferenceEquals(user, requester))
            {
                audit?.Impersonated(user);
            }

            context.Items[typeof(UserInfo)] = user;
            await DispatchAsync(context, user);
        }
        catch (StatusException ex)
        {
            await WriteErrorIfPossibleAsync(context, ex);
        }
        catch (CompactedException ex)
        {
            await WriteErrorIfPossibleAsync(context, ApiErrors.Gone($"too old resource version: {ex.RequestedRevision} ({ex.CompactedRevision})"));
        }
        catch (ValueTooLargeException ex)
        {
            await WriteErrorIfPossibleAsync(context, ApiErrors.RequestEntityTooLarge(ex.Message));
        }
        catch (StoreException ex)
        {
            LogStoreFailure(_logger, context.Request.Method, context.Request.Path, ex);
            await WriteErrorIfPossibleAsync(context, ApiErrors.ServiceUnavailable("the datastore is unavailable: " + ex.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task DispatchAsync(HttpContext context, UserInfo user)
    {
        string[] segments = context.Request.Path.Value!.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group;
        string version;
        string[] rest;
        if (segments[0] == "api")
        {
            if (segments.Length == 1)
            {
                await WriteDiscoveryRootAsync(context, core: true);
                return;
            }

            (group, version, rest) = (string.Empty, segments[1], segments[2..]);
        }
        else
        {
            if (segments.Length == 1)
            {
                await WriteDiscoveryRootAsync(context, core: false);
                return;
            }

            if (segments.Length == 2)
            {
                JsonObject groupDocument = _discovery.GroupDocument(segments[1]) ?? throw NotServed(context);
                await Responses.WriteJsonAsync(context, groupDocument, 200);
                return;
            }

            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }

        if (rest.Length == 0)
        {
            JsonObject list = _discovery.ResourceList(group, version) ?? throw NotServed(context);
            await Responses.WriteJsonAsync(context, list, 200);
            return;
        }

        bool watch = QueryFlag.IsTrue(context.Request.Query["watch"]);
        RequestInfo request = RequestInfo.Parse(_catalog, context.Request.Method, group, version, rest, watch) ?? throw NotServed(context);
        if (request.Resource.Namespaced && request.Name is not null && request.Namespace is null)
        {
            throw NotServed(context);
        }

        // The metrics take verb and resource from here; the request is counted once the handler returns.
        context.Items[typeof(RequestInfo)] = request;
        var attributes = new AuthorizationAttributes(
            user, request.Verb, request.Resource.Group, request.Resource.Plural, request.Subresource, request.Namespace, request.Name ?? SelectedName(context, request));
        (bool allowed, string reason) = await _authorizer.AuthorizeAsync(attributes, context.RequestAborted);
        Audit.AuditScope.Of(context)?.Authorized(allowed, reason);
        if (!allowed)
        {
            throw AuthorizationErrors.Forbidden(attributes, reason);
        }

        await ServeResourceAsync(context, request, user);
    }

    /// <summary>
    /// Upstream's RequestInfo name for a list or watch pinned to one object by <c>fieldSelector=metadata.name=X</c>: authorizers
    /// see X, so a <c>resourceNames</c> rule or the Node authorizer can allow a kubelet's watch of one secret. A selector that
    /// does not parse, or a name that is no valid path segment, leaves the request unnamed.
    /// </summary>
    private static string? SelectedName(HttpContext context, RequestInfo request)
    {
        if (request.Verb is not ("list" or "watch"))
        {
            return null;
        }

        try
        {
            string? name = FieldSelector.Parse(context.Request.Query["fieldSelector"]).ExactValue("metadata.name");
            return name is null or "" or "." or ".." || name.AsSpan().IndexOfAny('/', '%') >= 0 ? null : name;
        }
        catch (StatusException)
        {
            return null;
        }
    }

    private async Task ServeResourceAsync(HttpContext context, RequestInfo request, UserInfo user)
    {
        if (request.Resource.Plural == "pods" && string.IsNullOrEmpty(request.Resource.Group) && request.Subresource is "log" or "exec" or "attach" or "portforward")
        {
            // Answered by the pod's kubelet, through the API server's kubelet-client certificate.
            await _kubelets.ServeAsync(context, request);
            return;
        }

        if (request.Subresource is "log" or "exec" or "attach" or "portforward" or "proxy")
        {
            throw ApiErrors.ServiceUnavailable($"{request.Subresource} for {request.Resource.Plural} needs a node agent (kubelet), which this server does not run yet");
        }

        if (request.Resource.IsVirtual || request.Subresource is "binding" or "eviction" or "token")
        {
            await ServeVirtualAsync(context, request, user);
            return;
        }

        switch (request.Verb)
        {
            case "get":
                await GetAsync(context, request);
                break;
            case "list":
                await ListAsync(context, request);
                break;
            case "watch":
                await WatchAsync(context, request);
                break;
            case "create" when request.Name is null:
                await CreateAsync(context, request);
                break;
            case "update" when request.Name is not null:
                await UpdateAsync(context, request);
                break;
            case "patch" when request.Name is not null:
                await PatchAsync(context, request);
                break;
            case "delete":
                await DeleteAsync(context, request);
                break;
            case "deletecollection" when request.Resource.Verbs.Contains("deletecollection"):
                await DeleteCollectionAsync(context, request);
                break;
            default:
                throw new StatusException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource ({context.Request.Method} {request.Resource.QualifiedName})");
        }
    }

    private async Task WriteDiscoveryRootAsync(HttpContext context, bool core)
    {
        if (DiscoveryDocuments.WantsAggregated(context.Request.Headers.Accept))
        {
            await Responses.WriteRawAsync(context, core ? _discovery.AggregatedCore : _discovery.AggregatedGroups, DiscoveryDocuments.AggregatedMediaType);
            return;
        }

        JsonObject document = core ? DiscoveryDocuments.ApiVersions($"{context.Request.Host.Host}:{context.Request.Host.Port}") : _discovery.GroupList();
        await Responses.WriteJsonAsync(context, document, 200);
    }

    /// <summary>The resource as stored (versions of a resource share one storage version).</summary>
    private ResourceInfo Storage(RequestInfo request) => _conversion.StorageFor(request.Resource);

    /// <summary>A stored object in the version the request named.</summary>
    private JsonObject Out(RequestInfo request, JsonObject item) => _conversion.FromStorage(request.Resource, item);

    /// <summary>The scale paths of a custom resource's CRD (null for built-in resources, whose Scale is fixed).</summary>
    private k8s.Models.V1CustomResourceSubresourceScale? CustomScale(RequestInfo request) => _customResources.Find(request.Resource)?.Scale;

    private static StatusException NotServed(HttpContext context) =>
        new(404, "NotFound", "the server could not find the requested resource", new k8s.Models.V1StatusDetails { Causes = [new k8s.Models.V1StatusCause { Reason = "UnexpectedServerResponse", Message = $"404 page not found: {context.Request.Path}" }] });

    private static async Task WriteErrorIfPossibleAsync(HttpContext context, StatusException error)
    {
        if (!context.Response.HasStarted)
        {
            await Responses.WriteErrorAsync(context, error);
        }
    }
}
