using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Cgroups;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Config;

/// <summary>Sandbox config (ports, DNS, sysctls, hostname) and the pod cgroup layout, against temp files instead of the host's.</summary>
public sealed class SandboxMappingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("skiff-sandbox-map-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Build_MapsHostPortsSysctlsAndHostname()
    {
        var container = new V1Container
        {
            Name = "app",
            Ports =
            [
                new V1ContainerPort { ContainerPort = 80, HostPort = 8080 },
                new V1ContainerPort { ContainerPort = 53, HostPort = 5353, Protocol = "UDP", HostIP = "127.0.0.1" },
                new V1ContainerPort { ContainerPort = 9090 },
            ],
        };
        V1Pod pod = ContainerConfigMappingTests.Pod(container);
        pod.Spec.Hostname = "h1";
        pod.Spec.SecurityContext = new V1PodSecurityContext { Sysctls = [new V1Sysctl { Name = "net.ipv4.ip_unprivileged_port_start", Value = "0" }] };

        PodSandboxConfig config = SandboxConfigBuilder.Build(pod, Options(), "/x/pod1");

        Assert.Equal("h1", config.Hostname);
        Assert.Equal("/x/pod1", config.Linux.CgroupParent);
        Assert.Equal("0", config.Linux.Sysctls["net.ipv4.ip_unprivileged_port_start"]);
        Assert.Equal("n", config.Annotations["note"]);
        Assert.Collection(
            config.PortMappings,
            p => Assert.Equal((Protocol.Tcp, 80, 8080, ""), (p.Protocol, p.ContainerPort, p.HostPort, p.HostIp)),
            p => Assert.Equal((Protocol.Udp, 53, 5353, "127.0.0.1"), (p.Protocol, p.ContainerPort, p.HostPort, p.HostIp)));
    }

    [Fact]
    public void Dns_ClusterFirst_UsesClusterServerAndSearchesBeforeTheHosts()
    {
        DNSConfig dns = PodDns.Build(ContainerConfigMappingTests.Pod(new V1Container { Name = "app" }), Options(clusterDns: "10.96.0.10"));

        Assert.Equal(["10.96.0.10"], dns.Servers);
        Assert.Equal(["ns1.svc.cluster.local", "svc.cluster.local", "cluster.local", "example.org"], dns.Searches);
        Assert.Equal(["ndots:5"], dns.Options);
    }

    [Theory]
    [InlineData("Default", false, null)]
    [InlineData("ClusterFirst", true, null)]
    [InlineData("ClusterFirst", false, "none")]
    public void Dns_FallsBackToTheNodesResolvConf(string policy, bool hostNetwork, string? noClusterDns)
    {
        V1Pod pod = ContainerConfigMappingTests.Pod(new V1Container { Name = "app" });
        pod.Spec.DnsPolicy = policy;
        pod.Spec.HostNetwork = hostNetwork;

        DNSConfig dns = PodDns.Build(pod, Options(clusterDns: noClusterDns is null ? "10.96.0.10" : null));

        Assert.Equal(["192.0.2.53"], dns.Servers);
        Assert.Equal(["example.org"], dns.Searches);
        Assert.Equal(["timeout:2"], dns.Options);
    }

    [Fact]
    public void Dns_ClusterFirstWithHostNet_AndNone_MergeDnsConfig()
    {
        V1Pod pod = ContainerConfigMappingTests.Pod(new V1Container { Name = "app" });
        pod.Spec.HostNetwork = true;
        pod.Spec.DnsPolicy = "ClusterFirstWithHostNet";
        pod.Spec.DnsConfig = new V1PodDNSConfig { Nameservers = ["1.1.1.1"], Searches = ["a.b"], Options = [new V1PodDNSConfigOption { Name = "ndots", Value = "2" }, new V1PodDNSConfigOption { Name = "edns0" }] };

        DNSConfig cluster = PodDns.Build(pod, Options(clusterDns: "10.96.0.10"));
        Assert.Equal(["10.96.0.10", "1.1.1.1"], cluster.Servers);
        Assert.Equal("a.b", cluster.Searches.Last());
        Assert.Equal(["ndots:2", "edns0"], cluster.Options);

        pod.Spec.DnsPolicy = "None";
        DNSConfig none = PodDns.Build(pod, Options(clusterDns: "10.96.0.10"));
        Assert.Equal(["1.1.1.1"], none.Servers);
        Assert.Equal(["a.b"], none.Searches);
    }

    [Fact]
    public void PodCgroups_V1_PlacesPodsByQos_WritesLimits_AndRemovesEveryHierarchy()
    {
        string mount = Path.Combine(_dir, "cgroup");
        foreach (string controller in new[] { "cpu", "memory", "pids", "freezer" })
        {
            Directory.CreateDirectory(Path.Combine(mount, controller));
        }

        var cgroups = new PodCgroups(Options() with { CgroupMount = mount, CgroupRoot = "/t1" }, NullLogger.Instance);
        V1Pod guaranteed = ContainerConfigMappingTests.Pod(ContainerConfigMappingTests.Limited("app", cpuLimit: "500m", memLimit: "64Mi"));
        V1Pod burstable = ContainerConfigMappingTests.Pod(ContainerConfigMappingTests.Limited("app", cpuRequest: "250m", memLimit: "32Mi"));
        burstable.Metadata.Uid = "uid-2";
        V1Pod bestEffort = ContainerConfigMappingTests.Pod(new V1Container { Name = "app" });
        bestEffort.Metadata.Uid = "uid-3";

        Assert.Equal("/t1/kubepods/poduid-1", cgroups.Ensure(guaranteed));
        Assert.Equal("/t1/kubepods/burstable/poduid-2", cgroups.Ensure(burstable));
        Assert.Equal("/t1/kubepods/besteffort/poduid-3", cgroups.Ensure(bestEffort));

        string cpu = Path.Combine(mount, "cpu/t1/kubepods");
        Assert.Equal("512", File.ReadAllText(Path.Combine(cpu, "poduid-1/cpu.shares")));
        Assert.Equal("50000", File.ReadAllText(Path.Combine(cpu, "poduid-1/cpu.cfs_quota_us")));
        Assert.Equal("67108864", File.ReadAllText(Path.Combine(mount, "memory/t1/kubepods/poduid-1/memory.limit_in_bytes")));
        Assert.Equal("256", File.ReadAllText(Path.Combine(cpu, "burstable/poduid-2/cpu.shares")));
        Assert.Equal("-1", File.ReadAllText(Path.Combine(cpu, "burstable/poduid-2/cpu.cfs_quota_us")));
        Assert.Equal("33554432", File.ReadAllText(Path.Combine(mount, "memory/t1/kubepods/burstable/poduid-2/memory.limit_in_bytes")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(cpu, "besteffort/poduid-3/cpu.shares")));

        // The runtime creates the same path in the other hierarchies (freezer here): Remove takes it from all of them.
        Directory.CreateDirectory(Path.Combine(mount, "freezer/t1/kubepods/burstable/poduid-2/sandbox"));
        Directory.CreateDirectory(Path.Combine(mount, "pids/t1/kubepods/burstable/poduid-2"));
        // (Plain temp dirs holding the files written above cannot be rmdir'ed as kernfs dirs can, so only these two are checked.)
        cgroups.Remove("uid-2");
        Assert.False(Directory.Exists(Path.Combine(mount, "freezer/t1/kubepods/burstable/poduid-2")));
        Assert.False(Directory.Exists(Path.Combine(mount, "pids/t1/kubepods/burstable/poduid-2")));
        Assert.True(Directory.Exists(Path.Combine(cpu, "poduid-1")));
    }

    private KubeletOptions Options(string? clusterDns = null)
    {
        string resolv = Path.Combine(_dir, "resolv.conf");
        File.WriteAllText(resolv, "# test\nnameserver 192.0.2.53\nsearch example.org.\noptions timeout:2\n");
        return new KubeletOptions { NodeName = "node-1", InternalIp = "192.0.2.1", DataDir = _dir, ClusterDns = clusterDns, ResolvConf = resolv };
    }
}
