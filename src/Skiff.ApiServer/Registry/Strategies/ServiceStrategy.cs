using System.Net;
using k8s;
using k8s.Models;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>Services: defaults, ClusterIP and NodePort allocation (never twice), immutable ClusterIP, port rules.</summary>
internal sealed class ServiceStrategy : ResourceStrategy
{
    private static readonly string[] s_types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];

    public override bool ReturnsDeletedObject => true;

    public override Func<string, string?> NameRule => Names.LabelProblem;

    public override async Task PrepareForCreateAsync(IKubernetesObject<V1ObjectMeta> item, ApiContext context, CancellationToken cancellationToken)
    {
        var service = (V1Service)item;
        V1ServiceSpec spec = service.Spec ??= new V1ServiceSpec();
        Defaults(spec);
        service.Status = new V1ServiceStatus { LoadBalancer = new V1LoadBalancerStatus() };
        string owner = $"{service.Metadata.NamespaceProperty}/{service.Metadata.Name}";
        if (spec.Type != "ExternalName" && spec.ClusterIP != "None")
        {
            if (string.IsNullOrEmpty(spec.ClusterIP))
            {
                spec.ClusterIP = (await Allocators.TakeIpAsync(context, owner, cancellationToken)).ToString();
            }
            else if (!IPAddress.TryParse(spec.ClusterIP, out IPAddress? wanted) || !context.Options.ServiceCidr.Contains(wanted))
            {
                throw Invalid(service, "spec.clusterIPs", $"Invalid value: []string{{\"{spec.ClusterIP}\"}}: failed to allocate IP {spec.ClusterIP}: the provided IP ({spec.ClusterIP}) is not in the valid range. The range of valid IPs is {context.Options.ServiceCidr}");
            }
            else if (!await Allocators.TryTakeIpAsync(context, wanted, owner, cancellationToken))
            {
                throw Invalid(service, "spec.clusterIPs", $"Invalid value: []string{{\"{spec.ClusterIP}\"}}: failed to allocate IP {spec.ClusterIP}: provided IP is already allocated");
            }

            spec.ClusterIPs = [spec.ClusterIP];
        }
        else if (spec.ClusterIP == "None")
        {
            spec.ClusterIPs = ["None"];
        }

        if (spec.Type is "NodePort" or "LoadBalancer")
        {
            foreach (V1ServicePort port in spec.Ports ?? [])
            {
                if (port.NodePort is null or 0)
                {
                    port.NodePort = await Allocators.TakePortAsync(context, owner, cancellationToken);
                }
                else if (port.NodePort < context.Options.NodePortFirst || port.NodePort > context.Options.NodePortLast)
                {
                    throw Invalid(service, "spec.ports.nodePort", $"Invalid value: {port.NodePort}: provided port is not in the valid range. The range of valid ports is {context.Options.NodePortFirst}-{context.Options.NodePortLast}");
                }
                else if (!await Allocators.TryTakePortAsync(context, port.NodePort.Value, owner, cancellationToken))
                {
                    throw Invalid(service, "spec.ports.nodePort", $"Invalid value: {port.NodePort}: provided port is already allocated");
                }
            }
        }
    }

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context)
    {
        var service = (V1Service)item;
        var previous = (V1Service)old;
        V1ServiceSpec spec = service.Spec ??= new V1ServiceSpec();
        Defaults(spec);
        if (string.IsNullOrEmpty(spec.ClusterIP))
        {
            spec.ClusterIP = previous.Spec?.ClusterIP;
            spec.ClusterIPs = previous.Spec?.ClusterIPs;
        }

        spec.ClusterIPs ??= previous.Spec?.ClusterIPs;
        foreach (V1ServicePort port in spec.Ports ?? [])
        {
            if (port.NodePort is null or 0 && spec.Type is "NodePort" or "LoadBalancer")
            {
                port.NodePort = previous.Spec?.Ports?.FirstOrDefault(p => p.Port == port.Port && p.Protocol == port.Protocol)?.NodePort;
            }
        }
    }

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        var service = (V1Service)item;
        V1ServiceSpec? spec = service.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }

        if (!s_types.Contains(spec.Type))
        {
            errors.NotSupported("spec.type", spec.Type, s_types);
        }

        if (spec.Type != "ExternalName" && spec.ClusterIP != "None" && (spec.Ports is null || spec.Ports.Count == 0))
        {
            errors.Required("spec.ports");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((V1ServicePort port, int i) in (spec.Ports ?? []).Select((p, i) => (p, i)))
        {
            if (port.Port is < 1 or > 65535)
            {
                errors.Invalid($"spec.ports[{i}].port", port.Port, "must be between 1 and 65535, inclusive");
            }

            if ((spec.Ports?.Count ?? 0) > 1 && string.IsNullOrEmpty(port.Name))
            {
                errors.Required($"spec.ports[{i}].name");
            }
            else if (!string.IsNullOrEmpty(port.Name) && !names.Add(port.Name))
            {
                errors.Duplicate($"spec.ports[{i}].name", port.Name);
            }
        }

        if (old is V1Service previous && previous.Spec?.ClusterIP is { Length: > 0 } before && spec.ClusterIP != before && previous.Spec.Type == spec.Type)
        {
            errors.Immutable("spec.clusterIPs[0]", spec.ClusterIP);
        }
    }

    public override async Task ReleaseAsync(IKubernetesObject<V1ObjectMeta> item, ApiContext context, CancellationToken cancellationToken)
    {
        if (context.DryRun || ((V1Service)item).Spec is not { } spec)
        {
            return;
        }

        if (!string.IsNullOrEmpty(spec.ClusterIP) && spec.ClusterIP != "None")
        {
            await Allocators.ReleaseIpAsync(context, spec.ClusterIP, cancellationToken);
        }

        foreach (V1ServicePort port in spec.Ports ?? [])
        {
            if (port.NodePort is > 0)
            {
                await Allocators.ReleasePortAsync(context, port.NodePort.Value, cancellationToken);
            }
        }
    }

    private static void Defaults(V1ServiceSpec spec)
    {
        spec.Type ??= "ClusterIP";
        if (spec.Type == "ExternalName")
        {
            return;
        }

        spec.SessionAffinity ??= "None";
        spec.IpFamilies ??= ["IPv4"];
        spec.IpFamilyPolicy ??= "SingleStack";
        spec.InternalTrafficPolicy ??= "Cluster";
        if (spec.Type is "NodePort" or "LoadBalancer")
        {
            spec.ExternalTrafficPolicy ??= "Cluster";
        }

        if (spec.Type == "LoadBalancer")
        {
            spec.AllocateLoadBalancerNodePorts ??= true;
        }

        foreach (V1ServicePort port in spec.Ports ?? [])
        {
            port.Protocol ??= "TCP";
            port.TargetPort ??= (IntOrString)port.Port;
        }
    }

    private static StatusException Invalid(V1Service service, string field, string message) =>
        ApiErrors.Invalid(string.Empty, "Service", service.Metadata.Name, [new V1StatusCause { Reason = "FieldValueInvalid", Field = field, Message = message }]);
}
