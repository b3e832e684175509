using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Admission;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Cluster;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer;

/// <summary>
/// What exists in every cluster from the start: the default, kube-system, kube-public and kube-node-lease namespaces, the
/// system-node-critical and system-cluster-critical PriorityClasses, and the <c>default/kubernetes</c> Service (the first
/// service IP) with endpoints pointing at this API server.
/// </summary>
internal sealed partial class ClusterBootstrap(
    ObjectRegistry registry,
    ApiWatchCache cache,
    ResourceCatalog catalog,
    Authorization.PolicyBootstrap policy,
    IOptions<ApiServerOptions> options,
    ILogger<ClusterBootstrap> logger) : BackgroundService
{
    private static readonly string[] s_namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Completes when the bootstrap objects exist.</summary>
    public Task Done => _done.Task;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await cache.Ready.WaitAsync(stoppingToken);
        var write = new WriteRequest("skiff-apiserver", FieldValidation.Strict, DryRun: false);
        ResourceInfo namespaces = catalog.Find(string.Empty, "v1", "namespaces")!;
        foreach (string name in s_namespaces)
        {
            await EnsureAsync(namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, write, stoppingToken);
        }

        // Upstream's scheduling bootstrap post-start hook: the two system classes, created when absent, never updated.
        ResourceInfo priorityClasses = catalog.Find("scheduling.k8s.io", "v1", "priorityclasses")!;
        foreach (k8s.Models.V1PriorityClass systemClass in SystemPriorityClasses.All())
        {
            await EnsureAsync(priorityClasses, null, ObjectCodec.Encode(systemClass), write, stoppingToken);
        }

        ApiServerOptions settings = options.Value;
        string clusterIp = Allocators.Offset(settings.ServiceCidr.BaseAddress, 1).ToString();
        string port = settings.SecurePort.ToString(CultureInfo.InvariantCulture);
        await EnsureAsync(catalog.Find(string.Empty, "v1", "services")!, "default", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = clusterIp,
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = settings.SecurePort }),
            },
        }, write, stoppingToken);
        await EnsureAsync(catalog.Find(string.Empty, "v1", "endpoints")!, "default", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" } },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = settings.AdvertiseAddress.ToString() }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = settings.SecurePort, ["protocol"] = "TCP" }),
            }),
        }, write, stoppingToken);
        // Service proxies read EndpointSlices; upstream's endpoint reconciler keeps this one beside the Endpoints.
        await EnsureAsync(catalog.Find("discovery.k8s.io", "v1", "endpointslices")!, "default", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" },
            },
            ["addressType"] = settings.AdvertiseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4",
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(settings.AdvertiseAddress.ToString()),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = settings.SecurePort, ["protocol"] = "TCP" }),
        }, write, stoppingToken);
        await EnsureClusterDnsAsync(settings, write, stoppingToken);
        await policy.EnsureAsync(stoppingToken);
        string advertised = settings.AdvertiseAddress.ToString();
        LogBootstrapped(logger, clusterIp, advertised, port);
        _done.TrySetResult();
    }

    /// <summary>
    /// The <c>kube-system/kube-dns</c> Service at <see cref="ApiServerOptions.ClusterDns"/> (selectorless: the cluster DNS runs in
    /// every agent, and a controller points its endpoints at the nodes' DNS addresses) and the <c>skiff-cluster</c> ConfigMap that
    /// tells agents the cluster's networks.
    /// </summary>
    private async Task EnsureClusterDnsAsync(ApiServerOptions settings, WriteRequest write, CancellationToken cancellationToken)
    {
        await EnsureAsync(catalog.Find(string.Empty, "v1", "services")!, "kube-system", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kube-dns",
                ["labels"] = new JsonObject { ["k8s-app"] = "kube-dns", ["kubernetes.io/name"] = "KubeDNS", ["kubernetes.io/cluster-service"] = "true" },
            },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = settings.ClusterDns.ToString(),
                ["ports"] = new JsonArray(
                    new JsonObject { ["name"] = "dns", ["port"] = 53, ["protocol"] = "UDP", ["targetPort"] = 53 },
                    new JsonObject { ["name"] = "dns-tcp", ["port"] = 53, ["protocol"] = "TCP", ["targetPort"] = 53 }),
            },
        }, write, cancellationToken);
        var network = new ClusterNetwork
        {
            ClusterCidr = settings.ClusterCidr,
            ServiceCidr = settings.ServiceCidr,
            ClusterDns = settings.ClusterDns,
            ClusterDomain = settings.ClusterDomain,
        };
        var data = new JsonObject();
        foreach (var (key, value) in network.ToData())
        {
            data[key] = value;
        }

        await EnsureAsync(catalog.Find(string.Empty, "v1", "configmaps")!, ClusterNetwork.ConfigMapNamespace, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = ClusterNetwork.ConfigMapName },
            ["data"] = data,
        }, write, cancellationToken);
    }

    private async Task EnsureAsync(ResourceInfo resource, string? ns, JsonObject item, WriteRequest write, CancellationToken cancellationToken)
    {
        string name = item["metadata"]!["name"]!.GetValue<string>();
        try
        {
            // Present from an earlier start (or another server on the same store): leave it, and keep its allocations.
            await registry.GetAsync(resource, ns, name, cancellationToken);
            return;
        }
        catch (StatusException ex) when (ex.Code == 404)
        {
        }

        try
        {
            await registry.CreateAsync(resource, ns, item, write, cancellationToken);
        }
        catch (StatusException ex) when (ex.Reason == "AlreadyExists")
        {
            // Created by an earlier start (or another server sharing the store).
        }
    }

    [LoggerMessage(EventId = 2200, Level = LogLevel.Information, Message = "Cluster bootstrap done: the kubernetes Service is {ClusterIp}, pointing at {Address}:{Port}.")]
    private static partial void LogBootstrapped(ILogger logger, string clusterIp, string address, string port);
}
