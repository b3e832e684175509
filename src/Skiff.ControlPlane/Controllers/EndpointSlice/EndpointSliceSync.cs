using System.Globalization;
using k8s.Models;
using Skiff.ControlPlane.Controllers.Endpoints;
using Skiff.ControlPlane.Controllers.ReplicaSet;

namespace Skiff.ControlPlane.Controllers.EndpointSlice;

/// <summary>
/// The pure part of the EndpointSlice controller (upstream pkg/controller/endpointslice's reconciler): the endpoints a
/// Service's pods call for, grouped by the ports they resolve, and the plan that turns the existing slices into them with
/// few writes: endpoints stay in the slice that already holds them, new ones fill slices with room, then new slices.
/// </summary>
internal static class EndpointSliceSync
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ManagedByValue = "endpointslice-controller.k8s.io";
    public const string ZoneLabel = "topology.kubernetes.io/zone";

    /// <summary>Upstream's default --max-endpoints-per-slice.</summary>
    public const int MaxEndpointsPerSlice = 100;

    /// <summary>One set of ports and the endpoints that resolve exactly those ports.</summary>
    public sealed record PortGroup(List<Discoveryv1EndpointPort> Ports, List<V1Endpoint> Endpoints);

    /// <summary>What to write: slices to create (generateName), to replace (carrying their resourceVersion), to delete.</summary>
    public sealed record Plan(List<V1EndpointSlice> Create, List<V1EndpointSlice> Update, List<V1EndpointSlice> Delete)
    {
        public bool IsEmpty => Create.Count == 0 && Update.Count == 0 && Delete.Count == 0;
    }

    /// <summary>
    /// Every pod with an IP that is not finished, including terminating ones (listed with ready=false and terminating=true,
    /// as upstream does so that proxies can drain them), grouped by the set of Service ports it resolves.
    /// </summary>
    public static Dictionary<string, PortGroup> DesiredEndpoints(V1Service service, IEnumerable<V1Pod> pods, Func<string, V1Node?> node)
    {
        bool publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        IList<V1ServicePort> servicePorts = service.Spec?.Ports ?? [];
        var groups = new Dictionary<string, PortGroup>(StringComparer.Ordinal);
        foreach (V1Pod pod in pods)
        {
            if (!ServicePods.Matches(service, pod) || !ServicePods.ShouldBeInEndpoints(pod, includeTerminating: true))
            {
                continue;
            }

            var ports = new List<Discoveryv1EndpointPort>();
            foreach (V1ServicePort servicePort in servicePorts)
            {
                if (ServicePods.FindPort(pod, servicePort) is { } number)
                {
                    ports.Add(new Discoveryv1EndpointPort { Name = servicePort.Name ?? string.Empty, Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
                }
            }

            if (ports.Count == 0 && servicePorts.Count > 0)
            {
                continue;
            }

            string key = PortKey(ports);
            if (!groups.TryGetValue(key, out PortGroup? group))
            {
                group = new PortGroup(ports, []);
                groups[key] = group;
            }

            bool serving = publishNotReady || ServicePods.IsReady(pod);
            bool terminating = pod.Metadata?.DeletionTimestamp is not null;
            string? nodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName;
            string? zone = nodeName is null ? null : node(nodeName)?.Metadata?.Labels?.TryGetValue(ZoneLabel, out string? z) == true ? z : null;
            group.Endpoints.Add(new V1Endpoint
            {
                Addresses = [ServicePods.PodIP(pod)],
                Conditions = new V1EndpointConditions { Ready = publishNotReady || (serving && !terminating), Serving = serving, Terminating = terminating },
                Hostname = ServicePods.Hostname(pod, service),
                NodeName = nodeName,
                Zone = string.IsNullOrEmpty(zone) ? null : zone,
                TargetRef = ServicePods.PodReference(pod),
            });
        }

        foreach (PortGroup group in groups.Values)
        {
            group.Endpoints.Sort((a, b) => string.CompareOrdinal(EndpointId(a), EndpointId(b)));
        }

        return groups;
    }

    /// <summary>
    /// Turns <paramref name="existing"/> (the Service's managed slices) into slices holding exactly <paramref name="desired"/>,
    /// at most <paramref name="maxPerSlice"/> endpoints each. A Service with no endpoints keeps one empty placeholder slice.
    /// </summary>
    public static Plan Reconcile(V1Service service, Dictionary<string, PortGroup> desired, IEnumerable<V1EndpointSlice> existing, DateTimeOffset now, int maxPerSlice = MaxEndpointsPerSlice)
    {
        var plan = new Plan([], [], []);
        Dictionary<string, string> labels = Labels(service);
        List<V1EndpointSlice> slices = [.. existing.OrderBy(s => s.Metadata?.Name, StringComparer.Ordinal)];
        if (desired.Values.All(g => g.Endpoints.Count == 0))
        {
            V1EndpointSlice? placeholder = slices.FirstOrDefault(s => (s.Endpoints?.Count ?? 0) == 0 && (s.Ports?.Count ?? 0) == 0);
            foreach (V1EndpointSlice slice in slices.Where(s => !ReferenceEquals(s, placeholder)))
            {
                plan.Delete.Add(slice);
            }

            if (placeholder is null)
            {
                plan.Create.Add(NewSlice(service, labels, null, [], now));
            }
            else if (!EndpointsSync.SameMap(placeholder.Metadata?.Labels, labels))
            {
                plan.Update.Add(WithContent(placeholder, labels, [], now));
            }

            return plan;
        }

        foreach ((string key, PortGroup group) in desired)
        {
            var wanted = group.Endpoints.ToDictionary(EndpointId, StringComparer.Ordinal);
            var kept = new List<(V1EndpointSlice Slice, List<V1Endpoint> Endpoints, bool Changed)>();
            foreach (V1EndpointSlice slice in slices.Where(s => PortKey(s.Ports) == key))
            {
                var endpoints = new List<V1Endpoint>();
                foreach (V1Endpoint endpoint in slice.Endpoints ?? [])
                {
                    if (endpoints.Count < maxPerSlice && wanted.Remove(EndpointId(endpoint), out V1Endpoint? want))
                    {
                        endpoints.Add(want);
                    }
                }

                bool changed = !EndpointsSync.SameJson(slice.Endpoints is { Count: > 0 } ? slice.Endpoints : new List<V1Endpoint>(), endpoints)
                    || !EndpointsSync.SameMap(slice.Metadata?.Labels, labels);
                kept.Add((slice, endpoints, changed));
            }

            // New endpoints go first into slices that are being written anyway, then into other slices with room.
            var remaining = new Queue<V1Endpoint>(group.Endpoints.Where(e => wanted.ContainsKey(EndpointId(e))));
            for (int pass = 0; pass < 2 && remaining.Count > 0; pass++)
            {
                for (int i = 0; i < kept.Count && remaining.Count > 0; i++)
                {
                    (V1EndpointSlice slice, List<V1Endpoint> endpoints, bool changed) = kept[i];
                    if ((pass == 0) != changed || endpoints.Count >= maxPerSlice)
                    {
                        continue;
                    }

                    while (endpoints.Count < maxPerSlice && remaining.TryDequeue(out V1Endpoint? next))
                    {
                        endpoints.Add(next);
                    }

                    kept[i] = (slice, endpoints, true);
                }
            }

            foreach ((V1EndpointSlice slice, List<V1Endpoint> endpoints, bool changed) in kept)
            {
                if (endpoints.Count == 0)
                {
                    plan.Delete.Add(slice);
                }
                else if (changed)
                {
                    plan.Update.Add(WithContent(slice, labels, endpoints, now));
                }
            }

            while (remaining.Count > 0)
            {
                var chunk = new List<V1Endpoint>();
                while (chunk.Count < maxPerSlice && remaining.TryDequeue(out V1Endpoint? next))
                {
                    chunk.Add(next);
                }

                plan.Create.Add(NewSlice(service, labels, group.Ports, chunk, now));
            }
        }

        foreach (V1EndpointSlice slice in slices.Where(s => !desired.ContainsKey(PortKey(s.Ports))))
        {
            plan.Delete.Add(slice);
        }

        return plan;
    }

    /// <summary>The Service's labels, the headless marker, and the two labels that tie a slice to its Service and to us.</summary>
    public static Dictionary<string, string> Labels(V1Service service)
    {
        var labels = new Dictionary<string, string>(service.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (ServicePods.IsHeadless(service))
        {
            labels[ServicePods.HeadlessLabel] = string.Empty;
        }
        else
        {
            labels.Remove(ServicePods.HeadlessLabel);
        }

        labels[ServiceNameLabel] = service.Metadata?.Name ?? string.Empty;
        labels[ManagedByLabel] = ManagedByValue;
        return labels;
    }

    public static bool IsManaged(V1EndpointSlice slice) =>
        slice.Metadata?.Labels?.TryGetValue(ManagedByLabel, out string? by) == true && by == ManagedByValue;

    public static string? ServiceName(V1EndpointSlice slice) =>
        slice.Metadata?.Labels?.TryGetValue(ServiceNameLabel, out string? name) == true ? name : null;

    /// <summary>An endpoint is the same endpoint while it is the same pod (or, without a targetRef, the same address).</summary>
    public static string EndpointId(V1Endpoint endpoint) =>
        endpoint.TargetRef?.Uid is { Length: > 0 } uid ? uid : string.Join(",", endpoint.Addresses ?? []);

    public static string PortKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join(";", (ports ?? []).Select(p => $"{p.Name}/{p.Port}/{p.Protocol ?? "TCP"}/{p.AppProtocol}").Order(StringComparer.Ordinal));

    private static V1EndpointSlice NewSlice(V1Service service, Dictionary<string, string> labels, List<Discoveryv1EndpointPort>? ports, List<V1Endpoint> endpoints, DateTimeOffset now)
    {
        string name = service.Metadata.Name;
        return new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = new V1ObjectMeta
            {
                // generateName adds five characters; a name stays within 63.
                GenerateName = (name.Length > 57 ? name[..57] : name) + "-",
                NamespaceProperty = service.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = new Dictionary<string, string> { [ServicePods.LastChangeTriggerTimeAnnotation] = Format(now) },
                OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Service", Name = name, Uid = service.Metadata.Uid, Controller = true, BlockOwnerDeletion = true }],
            },
            AddressType = "IPv4",
            Ports = ports is { Count: > 0 } ? ports : null,
            Endpoints = endpoints,
        };
    }

    private static V1EndpointSlice WithContent(V1EndpointSlice slice, Dictionary<string, string> labels, List<V1Endpoint> endpoints, DateTimeOffset now)
    {
        V1EndpointSlice update = ReplicaSetSync.Clone(slice);
        update.Metadata.Labels = labels;
        update.Metadata.Annotations ??= new Dictionary<string, string>();
        update.Metadata.Annotations[ServicePods.LastChangeTriggerTimeAnnotation] = Format(now);
        update.Endpoints = endpoints;
        return update;
    }

    private static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
