using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Controllers.ServiceAccount;

/// <summary>
/// Upstream's service-account controller and root-CA publisher in one: every active namespace gets a <c>default</c>
/// ServiceAccount and a <c>kube-root-ca.crt</c> ConfigMap holding the cluster CA, so pods can trust the API server.
/// </summary>
public sealed partial class ServiceAccountController : Controller
{
    public const string DefaultServiceAccount = "default";
    public const string RootCaConfigMap = "kube-root-ca.crt";
    public const string RootCaKey = "ca.crt";

    private readonly IKubernetes _client;
    private readonly string _caPem;
    private readonly ILogger<ServiceAccountController> _logger;
    private SharedInformer<V1Namespace>? _namespaces;

    public ServiceAccountController(
        [FromKeyedServices(ControlPlaneOptions.ClientKey)] IKubernetes client,
        IOptions<ControlPlaneOptions> options,
        TimeProvider timeProvider,
        ILogger<ServiceAccountController> logger)
        : base("serviceaccount", 1, timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _caPem = options.Value.CaPem;
        _logger = logger;
    }

    protected override void AddInformerHandlers(SharedInformerFactory informers)
    {
        _namespaces = informers.Namespaces();
        _namespaces.AddEventHandler(new InformerHandler<V1Namespace>(onAdd: Enqueue, onUpdate: (_, ns) => Enqueue(ns)));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        V1Namespace? ns = _namespaces?.Cache.Get(null, key);
        // A terminating namespace refuses creates; the namespace controller is emptying it.
        if (ns is null || ns.Metadata?.DeletionTimestamp is not null || ns.Status?.Phase == "Terminating")
        {
            return;
        }

        string name = ns.Metadata!.Name;
        await EnsureServiceAccountAsync(name, cancellationToken).ConfigureAwait(false);
        await EnsureRootCaAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureServiceAccountAsync(string ns, CancellationToken cancellationToken)
    {
        var account = new V1ServiceAccount
        {
            ApiVersion = "v1",
            Kind = "ServiceAccount",
            Metadata = new V1ObjectMeta { Name = DefaultServiceAccount, NamespaceProperty = ns },
        };
        try
        {
            await _client.CoreV1.CreateNamespacedServiceAccountAsync(account, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogCreated(_logger, "ServiceAccount", ns, DefaultServiceAccount);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // AlreadyExists: the desired state holds.
        }
    }

    private async Task EnsureRootCaAsync(string ns, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, string> { [RootCaKey] = _caPem };
        var configMap = new V1ConfigMap
        {
            ApiVersion = "v1",
            Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = RootCaConfigMap, NamespaceProperty = ns },
            Data = wanted,
        };
        try
        {
            await _client.CoreV1.CreateNamespacedConfigMapAsync(configMap, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            LogCreated(_logger, "ConfigMap", ns, RootCaConfigMap);
            return;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // It exists; make sure it still holds the current CA (the CA may have been rotated, or someone edited it).
        }

        V1ConfigMap existing = await _client.CoreV1.ReadNamespacedConfigMapAsync(RootCaConfigMap, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing.Data is { Count: 1 } data && data.TryGetValue(RootCaKey, out string? current) && current == _caPem)
        {
            return;
        }

        existing.Data = wanted;
        await _client.CoreV1.ReplaceNamespacedConfigMapAsync(existing, RootCaConfigMap, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        LogUpdated(_logger, ns, RootCaConfigMap);
    }
}
