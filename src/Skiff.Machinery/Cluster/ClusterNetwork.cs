using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Skiff.Machinery.Cluster;

/// <summary>
/// The cluster-wide network settings every node needs (kubeadm keeps the same in its kube-proxy and kubelet-config ConfigMaps):
/// the server writes them once to the ConfigMap <c>kube-system/skiff-cluster</c> and each agent reads them at start, so a joined
/// machine needs no flags for them.
/// </summary>
public sealed record ClusterNetwork
{
    public const string ConfigMapNamespace = "kube-system";
    public const string ConfigMapName = "skiff-cluster";

    /// <summary>The network every node's pod CIDR is cut from; traffic leaving it is masqueraded.</summary>
    public required IPNetwork ClusterCidr { get; init; }

    /// <summary>Where Service ClusterIPs come from.</summary>
    public required IPNetwork ServiceCidr { get; init; }

    /// <summary>The ClusterIP of <c>kube-system/kube-dns</c>, given to ClusterFirst pods as their nameserver.</summary>
    public required IPAddress ClusterDns { get; init; }

    /// <summary>The cluster's DNS domain (cluster.local).</summary>
    public required string ClusterDomain { get; init; }

    public IDictionary<string, string> ToData() => new Dictionary<string, string>
    {
        ["clusterCIDR"] = ClusterCidr.ToString(),
        ["serviceCIDR"] = ServiceCidr.ToString(),
        ["clusterDNS"] = ClusterDns.ToString(),
        ["clusterDomain"] = ClusterDomain,
    };

    /// <summary>Reads the settings from a ConfigMap's data; a missing or malformed key throws <see cref="FormatException"/> naming it.</summary>
    public static ClusterNetwork FromData(IDictionary<string, string>? data)
    {
        string Get(string key) => data is not null && data.TryGetValue(key, out string? value) && value.Length > 0
            ? value
            : throw new FormatException($"ConfigMap {ConfigMapNamespace}/{ConfigMapName} has no {key}");
        return new ClusterNetwork
        {
            ClusterCidr = IPNetwork.Parse(Get("clusterCIDR")),
            ServiceCidr = IPNetwork.Parse(Get("serviceCIDR")),
            ClusterDns = IPAddress.Parse(Get("clusterDNS")),
            ClusterDomain = Get("clusterDomain"),
        };
    }

    /// <summary>Reads the ConfigMap, retrying (every second) while the server has not written it yet; throws only when cancelled.</summary>
    public static async Task<ClusterNetwork> ReadAsync(IKubernetes client, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        while (true)
        {
            try
            {
                V1ConfigMap map = await client.CoreV1.ReadNamespacedConfigMapAsync(ConfigMapName, ConfigMapNamespace, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                return FromData(map.Data);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
