using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for Service, Endpoints, EndpointSlice, Ingress, IngressClass and NetworkPolicy.</summary>
internal static class NetworkPrinters
{
    private const int MaxListed = 3;

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("", "Service")] = new TablePrinter<V1Service>(
            [
                Columns.Name(),
                Columns.String("Type", "type determines how the Service is exposed."),
                Columns.String("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
                Columns.String("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
                Columns.String("Port(s)", "The list of ports that are exposed by this service."),
                Columns.Age(),
                Columns.Selector("Route service traffic to pods with label keys and values matching this selector."),
            ],
            (svc, now) =>
            {
                V1ServiceSpec spec = svc.Spec ?? new V1ServiceSpec();
                string clusterIp = spec.ClusterIPs is { Count: > 0 } ips ? ips[0] : string.IsNullOrEmpty(spec.ClusterIP) ? CellFormat.None : spec.ClusterIP;
                string ports = PortString(spec.Ports);
                return
                [
                    CellFormat.Name(svc.Metadata), spec.Type ?? string.Empty, clusterIp, ExternalIp(svc), ports.Length == 0 ? CellFormat.None : ports,
                    CellFormat.Age(svc.Metadata, now), CellFormat.Labels(spec.Selector),
                ];
            });

        printers[("", "Endpoints")] = new TablePrinter<V1Endpoints>(
            [Columns.Name(), Columns.String("Endpoints", "The set of all endpoints is the union of all subsets."), Columns.Age()],
            (e, now) => [CellFormat.Name(e.Metadata), EndpointsString(e), CellFormat.Age(e.Metadata, now)]);

        printers[("discovery.k8s.io", "EndpointSlice")] = new TablePrinter<V1EndpointSlice>(
            [
                Columns.Name(),
                Columns.String("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
                Columns.String("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
                Columns.String("Endpoints", "endpoints is a list of unique endpoints in this slice."),
                Columns.Age(),
            ],
            (s, now) =>
            {
                IList<Discoveryv1EndpointPort> ports = s.Ports ?? [];
                List<string> portList = ports.Take(MaxListed).Select(p => p?.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? p?.Name ?? "*").ToList();
                List<string> addresses = (s.Endpoints ?? []).SelectMany(e => e?.Addresses ?? []).ToList();
                return
                [
                    CellFormat.Name(s.Metadata), s.AddressType ?? string.Empty, CellFormat.ListWithMore(portList, ports.Count, MaxListed),
                    CellFormat.ListWithMore(addresses.Take(MaxListed).ToList(), addresses.Count, MaxListed), CellFormat.Age(s.Metadata, now),
                ];
            });

        printers[("networking.k8s.io", "Ingress")] = new TablePrinter<V1Ingress>(
            [
                Columns.Name(),
                Columns.String("Class", "The name of the IngressClass resource that should be used for additional configuration"),
                Columns.String("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
                Columns.String("Address", "Address is a list containing ingress points for the load-balancer"),
                Columns.String("Ports", "Ports of TLS configurations that open"),
                Columns.Age(),
            ],
            (i, now) =>
            [
                CellFormat.Name(i.Metadata), i.Spec?.IngressClassName ?? CellFormat.None, Hosts(i.Spec?.Rules),
                Addresses((i.Status?.LoadBalancer?.Ingress ?? []).Select(l => (l?.Ip, l?.Hostname))),
                i.Spec?.Tls is { Count: > 0 } ? "80, 443" : "80", CellFormat.Age(i.Metadata, now),
            ]);

        printers[("networking.k8s.io", "IngressClass")] = new TablePrinter<V1IngressClass>(
            [
                Columns.Name(),
                Columns.String("Controller", "Controller that is responsible for handling this class"),
                Columns.String("Parameters", "A reference to a resource with additional parameters"),
                Columns.Age(),
            ],
            (c, now) =>
            {
                string parameters = CellFormat.None;
                if (c.Spec?.Parameters is { } p)
                {
                    parameters = (p.ApiGroup is null ? p.Kind : $"{p.Kind}.{p.ApiGroup}") + "/" + p.Name;
                }

                return [CellFormat.Name(c.Metadata), c.Spec?.Controller ?? string.Empty, parameters, CellFormat.Age(c.Metadata, now)];
            });

        printers[("networking.k8s.io", "NetworkPolicy")] = new TablePrinter<V1NetworkPolicy>(
            [Columns.Name(), Columns.String("Pod-Selector", "Selects the pods to which this NetworkPolicy object applies."), Columns.Age()],
            (n, now) => [CellFormat.Name(n.Metadata), CellFormat.LabelSelector(n.Spec?.PodSelector ?? new V1LabelSelector()), CellFormat.Age(n.Metadata, now)]);
    }

    /// <summary>"80/TCP,443:30443/TCP".</summary>
    internal static string PortString(IList<V1ServicePort>? ports) =>
        string.Join(",", (ports ?? []).Select(p =>
            p?.NodePort is { } nodePort && nodePort > 0
                ? $"{p.Port}:{nodePort}/{p.Protocol ?? "TCP"}"
                : $"{p?.Port ?? 0}/{p?.Protocol ?? "TCP"}"));

    private static string ExternalIp(V1Service svc)
    {
        IList<string> externalIps = svc.Spec?.ExternalIPs ?? [];
        switch (svc.Spec?.Type)
        {
            case "ClusterIP":
            case "NodePort":
                return externalIps.Count > 0 ? string.Join(",", externalIps) : CellFormat.None;
            case "LoadBalancer":
                string lbIps = Addresses((svc.Status?.LoadBalancer?.Ingress ?? []).Select(l => (l?.Ip, l?.Hostname)));
                if (externalIps.Count > 0)
                {
                    IEnumerable<string> all = lbIps.Length > 0 ? lbIps.Split(',').Concat(externalIps) : externalIps;
                    return string.Join(",", all);
                }

                return lbIps.Length > 0 ? lbIps : "<pending>";
            case "ExternalName":
                return svc.Spec.ExternalName ?? string.Empty;
            default:
                return CellFormat.Unknown;
        }
    }

    // The server prints wide, so upstream's 16-character clipping of load-balancer addresses never applies.
    private static string Addresses(IEnumerable<(string? Ip, string? Hostname)> ingress) =>
        string.Join(",", ingress
            .Select(l => !string.IsNullOrEmpty(l.Ip) ? l.Ip : l.Hostname)
            .Where(a => !string.IsNullOrEmpty(a))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal));

    private static string Hosts(IList<V1IngressRule>? rules)
    {
        IList<V1IngressRule> all = rules ?? [];
        var hosts = new List<string>();
        bool more = false;
        foreach (V1IngressRule rule in all)
        {
            if (hosts.Count == MaxListed)
            {
                more = true;
            }

            if (!more && !string.IsNullOrEmpty(rule?.Host))
            {
                hosts.Add(rule.Host);
            }
        }

        if (hosts.Count == 0)
        {
            return "*";
        }

        string joined = string.Join(",", hosts);
        return more ? $"{joined} + {all.Count - MaxListed} more..." : joined;
    }

    private static string EndpointsString(V1Endpoints endpoints)
    {
        IList<V1EndpointSubset> subsets = endpoints.Subsets ?? [];
        if (subsets.Count == 0)
        {
            return CellFormat.None;
        }

        var list = new List<string>();
        int count = 0;
        bool more = false;
        foreach (V1EndpointSubset subset in subsets)
        {
            IList<V1EndpointAddress> addresses = subset?.Addresses ?? [];
            IList<Corev1EndpointPort> ports = subset?.Ports ?? [];
            if (ports.Count == 0)
            {
                // Headless services can have addresses without ports.
                count += addresses.Count;
                foreach (V1EndpointAddress address in addresses)
                {
                    if (list.Count == MaxListed)
                    {
                        more = true;
                        break;
                    }

                    list.Add(address?.Ip ?? string.Empty);
                }

                continue;
            }

            foreach (Corev1EndpointPort port in ports)
            {
                count += addresses.Count;
                foreach (V1EndpointAddress address in addresses)
                {
                    if (list.Count == MaxListed)
                    {
                        more = true;
                        break;
                    }

                    list.Add(JoinHostPort(address?.Ip ?? string.Empty, port?.Port ?? 0));
                }
            }
        }

        string joined = string.Join(",", list);
        return more ? $"{joined} + {count - MaxListed} more..." : joined;
    }

    private static string JoinHostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
}
