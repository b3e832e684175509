using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// The pod's resolver per dnsPolicy, as upstream: ClusterFirst (the default) and ClusterFirstWithHostNet use the cluster
/// DNS server, the cluster search domains before the node's and ndots:5; ClusterFirst on the host network, Default, and
/// ClusterFirst without a cluster DNS server use the node's resolv.conf; None only spec.dnsConfig, which is merged last.
/// </summary>
public static class PodDns
{
    private const int MaxServers = 3;
    private const int MaxSearches = 32;

    public static DNSConfig Build(V1Pod pod, KubeletOptions options)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(options);
        V1PodSpec spec = pod.Spec ?? new V1PodSpec();
        string policy = string.IsNullOrEmpty(spec.DnsPolicy) ? "ClusterFirst" : spec.DnsPolicy;
        bool cluster = !string.IsNullOrEmpty(options.ClusterDns) && policy switch
        {
            "ClusterFirstWithHostNet" => true,
            "ClusterFirst" => spec.HostNetwork != true,
            _ => false,
        };
        var servers = new List<string>();
        var searches = new List<string>();
        var dnsOptions = new List<string>();
        if (policy != "None")
        {
            (List<string> hostServers, List<string> hostSearches, List<string> hostOptions) = ReadResolvConf(options.ResolvConf);
            if (cluster)
            {
                string ns = pod.Metadata.NamespaceProperty ?? "default";
                servers.Add(options.ClusterDns!);
                if (!string.IsNullOrEmpty(options.ClusterDomain))
                {
                    searches.AddRange([$"{ns}.svc.{options.ClusterDomain}", $"svc.{options.ClusterDomain}", options.ClusterDomain]);
                }

                searches.AddRange(hostSearches);
                dnsOptions.Add("ndots:5");
            }
            else
            {
                servers.AddRange(hostServers);
                searches.AddRange(hostSearches);
                dnsOptions.AddRange(hostOptions);
            }
        }

        if (spec.DnsConfig is { } extra)
        {
            servers.AddRange(extra.Nameservers ?? []);
            searches.AddRange(extra.Searches ?? []);
            foreach (V1PodDNSConfigOption option in extra.Options ?? [])
            {
                // A pod option replaces the one of the same name.
                dnsOptions.RemoveAll(o => o == option.Name || o.StartsWith(option.Name + ":", StringComparison.Ordinal));
                dnsOptions.Add(option.Value is null ? option.Name : $"{option.Name}:{option.Value}");
            }
        }

        var config = new DNSConfig();
        config.Servers.AddRange(servers.Distinct(StringComparer.Ordinal).Take(MaxServers));
        config.Searches.AddRange(searches.Distinct(StringComparer.Ordinal).Take(MaxSearches));
        config.Options.AddRange(dnsOptions.Distinct(StringComparer.Ordinal));
        return config;
    }

    /// <summary>nameserver, search (or domain) and options lines of a resolv.conf; a missing file is empty.</summary>
    public static (List<string> Servers, List<string> Searches, List<string> Options) ReadResolvConf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var servers = new List<string>();
        var searches = new List<string>();
        var options = new List<string>();
        if (!File.Exists(path))
        {
            return (servers, searches, options);
        }

        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Split('#', ';')[0];
            string[] fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
            {
                continue;
            }

            switch (fields[0])
            {
                case "nameserver":
                    servers.Add(fields[1]);
                    break;
                case "search" or "domain":
                    // The last search or domain line wins, as in the resolver.
                    searches = [.. fields.Skip(1).Select(s => s.TrimEnd('.')).Where(s => s.Length > 0)];
                    break;
                case "options":
                    options.AddRange(fields.Skip(1));
                    break;
            }
        }

        return (servers, searches, options);
    }
}
