using k8s.Models;
using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Tests.Scheduling;

public sealed class PodRequestsTests
{
    [Fact]
    public void Of_ContainersSum_InitContainerPeakWins_WhenLarger_AndOverheadAdds()
    {
        var pod = new V1Pod
        {
            Spec = new V1PodSpec
            {
                InitContainers = [Container("migrate", "2", "1Gi")],
                Containers = [Container("web", "500m", "256Mi"), Container("log", "250m", "128Mi")],
                Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m") },
            },
        };

        Resources requests = PodRequests.Of(pod);

        Assert.Equal(2100, requests.MilliCpu);
        Assert.Equal(1L << 30, requests.Memory);
        Assert.Equal(1, requests.Pods);
    }

    [Fact]
    public void Of_NativeSidecar_RunsBesideLaterInitContainersAndTheMainContainers()
    {
        V1Container sidecar = Container("proxy", "300m", "64Mi");
        sidecar.RestartPolicy = "Always";
        var pod = new V1Pod
        {
            Spec = new V1PodSpec
            {
                InitContainers = [sidecar, Container("setup", "1", "32Mi")],
                Containers = [Container("app", "200m", "100Mi"), new V1Container { Name = "gpu", Resources = Requests(("vendor.com/gpu", "1")) }],
            },
        };

        Resources requests = PodRequests.Of(pod);

        // setup runs beside the proxy: 1300m; afterwards app + proxy: 500m. Memory: app + proxy = 164Mi > 96Mi.
        Assert.Equal(1300, requests.MilliCpu);
        Assert.Equal(164L << 20, requests.Memory);
        Assert.Equal(1, requests.Scalar["vendor.com/gpu"]);
    }

    private static V1Container Container(string name, string cpu, string memory) =>
        new() { Name = name, Resources = Requests(("cpu", cpu), ("memory", memory)) };

    private static V1ResourceRequirements Requests(params (string Name, string Value)[] requests) =>
        new() { Requests = requests.ToDictionary(r => r.Name, r => new ResourceQuantity(r.Value)) };
}
