using System.Net;
using System.Text.Json;
using k8s.Models;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Finds the pod address behind a webhook's Service, as upstream's API server does with --enable-aggregator-routing: the
/// Service port whose port number clientConfig.service.port names, then a ready endpoint of the Service's EndpointSlices
/// and that slice's port of the same name (the resolved targetPort). Everything is read from the watch cache, so the API
/// server's host needs no route to ClusterIPs.
/// </summary>
internal sealed class ServiceEndpointResolver(ApiWatchCache cache, ResourceCatalog catalog)
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    private readonly ResourceInfo _services = catalog.Find(string.Empty, "v1", "services")
        ?? throw new InvalidOperationException("services are not in the catalog");

    private readonly ResourceInfo _slices = catalog.Find("discovery.k8s.io", "v1", "endpointslices")
        ?? throw new InvalidOperationException("endpointslices are not in the catalog");

    /// <summary>The pod address and port to dial, or a <see cref="WebhookCallException"/> with upstream's reason.</summary>
    public IPEndPoint Resolve(string ns, string name, int port)
    {
        CachedObject cached = cache.Bucket(_services).Get(StorageKeys.Object(_services, ns, name))
            ?? throw new WebhookCallException($"service \"{name}\" not found");
        V1Service service = JsonSerializer.Deserialize<V1Service>(cached.Json, SkiffJson.Options) ?? new V1Service();
        if (service.Spec?.Type is not (null or "ClusterIP" or "NodePort" or "LoadBalancer"))
        {
            throw new WebhookCallException($"unsupported service type \"{service.Spec?.Type}\"");
        }

        V1ServicePort servicePort = service.Spec?.Ports?.FirstOrDefault(p => p.Port == port)
            ?? throw new WebhookCallException($"no service port {port} found for service \"{name}\"");
        string portName = servicePort.Name ?? string.Empty;
        foreach (CachedObject item in cache.Bucket(_slices).Snapshot(StorageKeys.ListPrefix(_slices, ns), null))
        {
            if (!item.Labels.TryGetValue(ServiceNameLabel, out string? owner) || owner != name)
            {
                continue;
            }

            V1EndpointSlice slice = JsonSerializer.Deserialize<V1EndpointSlice>(item.Json, SkiffJson.Options) ?? new V1EndpointSlice();
            Discoveryv1EndpointPort? slicePort = slice.Ports?.FirstOrDefault(p => (p.Name ?? string.Empty) == portName && p.Port is not null);
            if (slicePort is null)
            {
                continue;
            }

            foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
            {
                // An endpoint without a ready condition counts as ready (the EndpointSlice API's rule).
                if (endpoint.Conditions?.Ready != false && endpoint.Addresses?.FirstOrDefault() is { } address && IPAddress.TryParse(address, out IPAddress? ip))
                {
                    return new IPEndPoint(ip, slicePort.Port!.Value);
                }
            }
        }

        throw new WebhookCallException($"no endpoints available for service \"{name}\"");
    }
}
