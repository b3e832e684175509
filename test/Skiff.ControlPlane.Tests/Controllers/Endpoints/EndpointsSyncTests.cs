using k8s.Models;
using Skiff.ControlPlane.Controllers.Endpoints;
using static Skiff.ControlPlane.Tests.Controllers.Endpoints.ServiceModels;

namespace Skiff.ControlPlane.Tests.Controllers.Endpoints;

public sealed class EndpointsSyncTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ComputeSubsets_ReadyAndNotReadyPods_SplitIntoAddressesAndNotReadyAddresses()
    {
        V1Pod[] pods =
        [
            Pod("a", "10.42.0.10"),
            Pod("b", "10.42.0.9", ready: false),
            Pod("c", "10.42.0.11", node: "node-1"),
        ];

        V1EndpointSubset subset = Assert.Single(EndpointsSync.ComputeSubsets(Service(), pods, out bool truncated));

        Assert.False(truncated);
        Assert.Equal(["10.42.0.10", "10.42.0.11"], subset.Addresses.Select(a => a.Ip));
        Assert.Equal("10.42.0.9", Assert.Single(subset.NotReadyAddresses).Ip);
        Corev1EndpointPort port = Assert.Single(subset.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
        V1EndpointAddress c = subset.Addresses[1];
        Assert.Equal(("Pod", "default", "c", "uid-c", "node-1"), (c.TargetRef.Kind, c.TargetRef.NamespaceProperty, c.TargetRef.Name, c.TargetRef.Uid, c.NodeName));
    }

    [Fact]
    public void ComputeSubsets_PodsWithoutIpTerminalDeletingOrNotSelected_AreLeftOut()
    {
        V1Pod[] pods =
        [
            Pod("no-ip", null),
            Pod("done", "10.42.0.2", phase: "Succeeded"),
            Pod("failed", "10.42.0.3", phase: "Failed"),
            Pod("deleting", "10.42.0.4", deleting: true),
            Pod("other", "10.42.0.5", app: "db"),
            Pod("kept", "10.42.0.6"),
        ];

        V1EndpointSubset subset = Assert.Single(EndpointsSync.ComputeSubsets(Service(), pods, out _));

        Assert.Equal("10.42.0.6", Assert.Single(subset.Addresses).Ip);
        Assert.Null(subset.NotReadyAddresses);
    }

    [Fact]
    public void ComputeSubsets_PublishNotReadyAddresses_PutsNotReadyAndTerminatingPodsInAddresses()
    {
        V1Pod[] pods = [Pod("a", "10.42.0.1", ready: false), Pod("b", "10.42.0.2", deleting: true)];

        V1EndpointSubset subset = Assert.Single(EndpointsSync.ComputeSubsets(Service(publishNotReady: true), pods, out _));

        Assert.Equal(["10.42.0.1", "10.42.0.2"], subset.Addresses.Select(a => a.Ip));
        Assert.Null(subset.NotReadyAddresses);
    }

    [Fact]
    public void ComputeSubsets_NamedTargetPort_ResolvedPerPodAndPodsWithoutItSkipped()
    {
        V1Pod[] pods = [Pod("named", "10.42.0.1", portName: "web-port"), Pod("unnamed", "10.42.0.2")];

        V1EndpointSubset subset = Assert.Single(EndpointsSync.ComputeSubsets(Service(targetPort: "web-port"), pods, out _));

        Assert.Equal("10.42.0.1", Assert.Single(subset.Addresses).Ip);
        Assert.Equal(9090, Assert.Single(subset.Ports).Port);
    }

    [Fact]
    public void ComputeSubsets_PodsResolvingDifferentPorts_GetOneSubsetPerPortSet()
    {
        V1Service service = Service();
        service.Spec.Ports.Add(new V1ServicePort { Name = "metrics", Port = 9000, TargetPort = "metrics", Protocol = "TCP" });
        V1Pod withMetrics = Pod("with", "10.42.0.1", portName: "metrics");
        V1Pod[] pods = [withMetrics, Pod("without", "10.42.0.2"), Pod("without-2", "10.42.0.3")];

        List<V1EndpointSubset> subsets = EndpointsSync.ComputeSubsets(service, pods, out _);

        Assert.Equal(2, subsets.Count);
        V1EndpointSubset both = Assert.Single(subsets, s => s.Ports.Count == 2);
        Assert.Equal("10.42.0.1", Assert.Single(both.Addresses).Ip);
        V1EndpointSubset httpOnly = Assert.Single(subsets, s => s.Ports.Count == 1);
        Assert.Equal(["10.42.0.2", "10.42.0.3"], httpOnly.Addresses.Select(a => a.Ip));
    }

    [Fact]
    public void ComputeSubsets_HostnameAndSubdomainNamingTheService_PublishesHostname()
    {
        V1Pod matching = Pod("a", "10.42.0.1");
        matching.Spec.Hostname = "host-a";
        matching.Spec.Subdomain = "web";
        V1Pod other = Pod("b", "10.42.0.2");
        other.Spec.Hostname = "host-b";
        other.Spec.Subdomain = "elsewhere";

        V1EndpointSubset subset = Assert.Single(EndpointsSync.ComputeSubsets(Service(), [matching, other], out _));

        Assert.Equal(["host-a", null], subset.Addresses.Select(a => a.Hostname));
    }

    [Fact]
    public void ComputeSubsets_MoreThanMaxAddresses_TruncatesKeepingReadyFirst()
    {
        List<V1Pod> pods = [.. Enumerable.Range(0, EndpointsSync.MaxAddresses).Select(i => Pod("r" + i, $"10.1.{i / 250}.{i % 250}"))];
        pods.Add(Pod("not-ready", "10.9.0.1", ready: false));

        V1Endpoints endpoints = EndpointsSync.Desired(Service(), pods, null, s_now);

        V1EndpointSubset subset = Assert.Single(endpoints.Subsets);
        Assert.Equal(EndpointsSync.MaxAddresses, subset.Addresses.Count);
        Assert.Null(subset.NotReadyAddresses);
        Assert.Equal("truncated", endpoints.Metadata.Annotations[EndpointsSync.OverCapacityAnnotation]);
    }

    [Fact]
    public void Desired_HeadlessService_CopiesLabelsAndMarksHeadless()
    {
        V1Endpoints endpoints = EndpointsSync.Desired(Service(headless: true), [Pod("a", "10.42.0.1")], null, s_now);

        Assert.Equal(("web", "default"), (endpoints.Metadata.Name, endpoints.Metadata.NamespaceProperty));
        Assert.Equal("front", endpoints.Metadata.Labels["tier"]);
        Assert.Equal(string.Empty, endpoints.Metadata.Labels[ServicePods.HeadlessLabel]);
        Assert.Equal("2026-01-01T00:00:00Z", endpoints.Metadata.Annotations[ServicePods.LastChangeTriggerTimeAnnotation]);
    }

    [Fact]
    public void NeedsUpdate_OnlyTheTriggerTimeDiffers_IsFalse()
    {
        V1Pod[] pods = [Pod("a", "10.42.0.1")];
        V1Endpoints current = EndpointsSync.Desired(Service(), pods, null, s_now);

        V1Endpoints later = EndpointsSync.Desired(Service(), pods, current, s_now.AddMinutes(5));
        V1Endpoints changed = EndpointsSync.Desired(Service(), [.. pods, Pod("b", "10.42.0.2")], current, s_now.AddMinutes(5));

        Assert.False(EndpointsSync.NeedsUpdate(current, later));
        Assert.True(EndpointsSync.NeedsUpdate(current, changed));
    }

    [Fact]
    public void HasSelector_ExternalNameOrNoSelector_IsFalse()
    {
        V1Service externalName = Service();
        externalName.Spec.Type = "ExternalName";
        V1Service noSelector = Service();
        noSelector.Spec.Selector = null;

        Assert.True(ServicePods.HasSelector(Service()));
        Assert.False(ServicePods.HasSelector(externalName));
        Assert.False(ServicePods.HasSelector(noSelector));
    }
}
