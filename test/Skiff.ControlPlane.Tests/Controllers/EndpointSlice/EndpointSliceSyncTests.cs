using k8s.Models;
using Skiff.ControlPlane.Controllers.EndpointSlice;
using static Skiff.ControlPlane.Tests.Controllers.Endpoints.ServiceModels;

namespace Skiff.ControlPlane.Tests.Controllers.EndpointSlice;

public sealed class EndpointSliceSyncTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DesiredEndpoints_ReadyNotReadyAndTerminatingPods_CarryUpstreamConditions()
    {
        V1Node node = new() { Metadata = new V1ObjectMeta { Name = "node-1", Labels = new Dictionary<string, string> { [EndpointSliceSync.ZoneLabel] = "zone-a" } } };
        V1Pod[] pods = [Pod("ready", "10.42.0.1", node: "node-1"), Pod("starting", "10.42.0.2", ready: false), Pod("leaving", "10.42.0.3", deleting: true)];

        EndpointSliceSync.PortGroup group = Assert.Single(EndpointSliceSync.DesiredEndpoints(Service(), pods, name => name == "node-1" ? node : null).Values);

        Dictionary<string, V1Endpoint> byPod = group.Endpoints.ToDictionary(e => e.TargetRef.Name);
        Assert.Equal((true, true, false), Conditions(byPod["ready"]));
        Assert.Equal(("node-1", "zone-a"), (byPod["ready"].NodeName, byPod["ready"].Zone));
        Assert.Equal((false, false, false), Conditions(byPod["starting"]));
        Assert.Equal((false, true, true), Conditions(byPod["leaving"]));
        Assert.Equal(["10.42.0.3"], byPod["leaving"].Addresses);
        Discoveryv1EndpointPort port = Assert.Single(group.Ports);
        Assert.Equal(("http", 8080, "TCP"), (port.Name, port.Port, port.Protocol));
    }

    [Fact]
    public void Reconcile_NewService_CreatesSlicesOfAtMostMaxEndpointsOwnedByTheService()
    {
        V1Service service = Service();
        V1Pod[] pods = [.. Enumerable.Range(0, 250).Select(i => Pod("p" + i, $"10.42.{i / 200}.{i % 200}"))];

        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(service, EndpointSliceSync.DesiredEndpoints(service, pods, _ => null), [], s_now);

        Assert.Equal([100, 100, 50], plan.Create.Select(s => s.Endpoints.Count));
        Assert.Empty(plan.Update);
        Assert.Empty(plan.Delete);
        V1EndpointSlice first = plan.Create[0];
        Assert.Equal("web-", first.Metadata.GenerateName);
        Assert.Equal("IPv4", first.AddressType);
        Assert.Equal("web", first.Metadata.Labels[EndpointSliceSync.ServiceNameLabel]);
        Assert.Equal(EndpointSliceSync.ManagedByValue, first.Metadata.Labels[EndpointSliceSync.ManagedByLabel]);
        V1OwnerReference owner = Assert.Single(first.Metadata.OwnerReferences);
        Assert.Equal(("Service", "web", "svc-uid", true), (owner.Kind, owner.Name, owner.Uid, owner.Controller));
        Assert.Equal(250, plan.Create.SelectMany(s => s.Endpoints).Select(e => e.TargetRef.Uid).Distinct().Count());
    }

    [Fact]
    public void Reconcile_PodRemovedAndAnotherAdded_UpdatesTheExistingSliceInPlace()
    {
        V1Service service = Service();
        V1EndpointSlice existing = Existing(service, [Pod("a", "10.42.0.1"), Pod("b", "10.42.0.2")]);

        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(
            service, EndpointSliceSync.DesiredEndpoints(service, [Pod("a", "10.42.0.1"), Pod("c", "10.42.0.3")], _ => null), [existing], s_now);

        Assert.Empty(plan.Create);
        Assert.Empty(plan.Delete);
        V1EndpointSlice updated = Assert.Single(plan.Update);
        Assert.Equal(("web-abcde", "7"), (updated.Metadata.Name, updated.Metadata.ResourceVersion));
        Assert.Equal(["a", "c"], updated.Endpoints.Select(e => e.TargetRef.Name));
    }

    [Fact]
    public void Reconcile_NothingChanged_WritesNothing()
    {
        V1Service service = Service();
        V1Pod[] pods = [Pod("a", "10.42.0.1"), Pod("b", "10.42.0.2")];

        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(service, EndpointSliceSync.DesiredEndpoints(service, pods, _ => null), [Existing(service, pods)], s_now);

        Assert.True(plan.IsEmpty);
    }

    [Fact]
    public void Reconcile_NoPodsLeft_KeepsOneEmptyPlaceholderSlice()
    {
        V1Service service = Service();
        V1EndpointSlice existing = Existing(service, [Pod("a", "10.42.0.1")]);

        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(service, EndpointSliceSync.DesiredEndpoints(service, [], _ => null), [existing], s_now);

        Assert.Same(existing, Assert.Single(plan.Delete));
        V1EndpointSlice placeholder = Assert.Single(plan.Create);
        Assert.Empty(placeholder.Endpoints);
        Assert.Null(placeholder.Ports);
        Assert.True(EndpointSliceSync.Reconcile(service, [], [placeholder], s_now).IsEmpty);
    }

    [Fact]
    public void Reconcile_TargetPortChanged_ReplacesSlicesOfTheOldPortSet()
    {
        V1Service service = Service();
        V1Pod[] pods = [Pod("a", "10.42.0.1")];
        V1EndpointSlice old = Existing(service, pods);

        V1Service changed = Service(targetPort: "8081");
        EndpointSliceSync.Plan plan = EndpointSliceSync.Reconcile(changed, EndpointSliceSync.DesiredEndpoints(changed, pods, _ => null), [old], s_now);

        Assert.Same(old, Assert.Single(plan.Delete));
        Assert.Equal(8081, Assert.Single(Assert.Single(plan.Create).Ports).Port);
    }

    private static (bool?, bool?, bool?) Conditions(V1Endpoint e) => (e.Conditions.Ready, e.Conditions.Serving, e.Conditions.Terminating);

    private static V1EndpointSlice Existing(V1Service service, V1Pod[] pods)
    {
        V1EndpointSlice slice = Assert.Single(EndpointSliceSync.Reconcile(service, EndpointSliceSync.DesiredEndpoints(service, pods, _ => null), [], s_now).Create);
        slice.Metadata.Name = "web-abcde";
        slice.Metadata.ResourceVersion = "7";
        return slice;
    }
}
