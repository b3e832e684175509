using k8s;
using Microsoft.Extensions.DependencyInjection;
using Skiff.ControlPlane.Controllers;

namespace Skiff.ControlPlane.Tests;

public sealed class ControlPlaneServiceCollectionExtensionsTests
{
    [Fact]
    public void AddSkiffControlPlane_Resolved_ListsReplicaSetAndDeploymentControllers()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSkiffControlPlane(o =>
        {
            o.Client = new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" };
            o.Identity = "test";
            o.CaPem = "unused";
        });
        using ServiceProvider provider = services.BuildServiceProvider();

        string[] names = [.. provider.GetServices<Controller>().Select(c => c.Name)];

        Assert.Contains("replicaset", names);
        Assert.Contains("deployment", names);
        Assert.Contains("service-lb", names);
        Assert.Contains("kube-dns-endpoints", names);
    }
}
