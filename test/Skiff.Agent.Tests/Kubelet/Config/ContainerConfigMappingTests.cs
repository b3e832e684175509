using System.Text;
using k8s;
using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Config;

/// <summary>The pure mapping of a container spec to CRI: env expansion, downward API, resources, security context.</summary>
public sealed class ContainerConfigMappingTests
{
    private static readonly NodeResources Node = new(MilliCpu: 2000, MemoryBytes: 4L << 30, EphemeralStorageBytes: 10L << 30);

    [Theory]
    [InlineData("$(A)-$(B)", "a-b")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$(MISSING) stays", "$(MISSING) stays")]
    [InlineData("$A and $ alone $", "$A and $ alone $")]
    [InlineData("$(A", "$(A")]
    [InlineData("x$$$(A)", "x$a")]
    public void Expand_FollowsUpstreamRules(string input, string expected) =>
        Assert.Equal(expected, EnvExpansion.Expand(input, n => n switch { "A" => "a", "B" => "b", _ => null }));

    [Fact]
    public async Task BuildAsync_ExpandsEnvCommandAndArgs_AndCopiesFlags()
    {
        var container = new V1Container
        {
            Name = "app",
            Image = "busybox",
            Command = ["sh", "-c", "echo $(GREETING) $$(GREETING)"],
            Args = ["$(NAME)"],
            WorkingDir = "/tmp",
            Stdin = true,
            Tty = true,
            Env =
            [
                new V1EnvVar { Name = "NAME", Value = "world" },
                new V1EnvVar { Name = "GREETING", Value = "hello $(NAME)" },
                new V1EnvVar { Name = "POD", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
                new V1EnvVar { Name = "IP", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "status.podIP" } } },
            ],
        };
        ContainerConfig config = await Builder().BuildAsync(Pod(container), container, 0, [], CancellationToken.None, podIp: "10.1.2.3");

        Assert.Equal(["sh", "-c", "echo hello world $(GREETING)"], config.Command);
        Assert.Equal(["world"], config.Args);
        Assert.Equal("/tmp", config.WorkingDir);
        Assert.True(config.Stdin);
        Assert.True(config.Tty);
        var env = config.Envs.ToDictionary(e => e.Key, e => e.Value.ToString(Encoding.UTF8));
        Assert.Equal("hello world", env["GREETING"]);
        Assert.Equal("p", env["POD"]);
        Assert.Equal("10.1.2.3", env["IP"]);
    }

    [Theory]
    [InlineData("metadata.namespace", "ns1")]
    [InlineData("metadata.uid", "uid-1")]
    [InlineData("metadata.labels['app']", "web")]
    [InlineData("metadata.annotations['note']", "n")]
    [InlineData("metadata.labels['none']", "")]
    [InlineData("spec.nodeName", "node-1")]
    [InlineData("spec.serviceAccountName", "sa")]
    [InlineData("status.hostIP", "192.0.2.1")]
    [InlineData("status.podIPs", "10.0.0.9")]
    public void FieldValue_ReadsTheDownwardApi(string path, string expected) =>
        Assert.Equal(expected, ContainerConfigBuilder.FieldValue(Pod(new V1Container { Name = "app" }), path, "10.0.0.9", "192.0.2.1"));

    [Fact]
    public void FieldValue_UnknownPath_IsAConfigError() =>
        Assert.Equal("unsupported fieldPath: spec.nope", Assert.Throws<ContainerConfigException>(() => ContainerConfigBuilder.FieldValue(Pod(new V1Container()), "spec.nope", null, "")).Message);

    [Theory]
    [InlineData("limits.cpu", null, "1")]
    [InlineData("limits.cpu", "1m", "250")]
    [InlineData("requests.cpu", "1m", "100")]
    [InlineData("limits.memory", "1Mi", "64")]
    [InlineData("requests.memory", null, "33554432")]
    [InlineData("limits.ephemeral-storage", "1Gi", "10")]
    [InlineData("requests.ephemeral-storage", null, "0")]
    public void ResourceValue_DividesAndRoundsUp_WithNodeAllocatableForAMissingLimit(string resource, string? divisor, string expected)
    {
        V1Container container = Limited("app", cpuRequest: "100m", cpuLimit: "250m", memRequest: "32Mi", memLimit: "64Mi");
        var selector = new V1ResourceFieldSelector { Resource = resource, Divisor = divisor is null ? null : new ResourceQuantity(divisor) };
        Assert.Equal(expected, ContainerConfigBuilder.ResourceValue(Pod(container), container, selector, Node));
    }

    [Fact]
    public void Resources_MapRequestsAndLimits_AndOomScoreByQos()
    {
        V1Container burstable = Limited("b", cpuRequest: "250m", cpuLimit: "500m", memRequest: "1Gi", memLimit: "2Gi");
        LinuxContainerResources r = PodResources.ContainerResources(Pod(burstable), burstable, Node.MemoryBytes);
        Assert.Equal(256, r.CpuShares);
        Assert.Equal(100_000, r.CpuPeriod);
        Assert.Equal(50_000, r.CpuQuota);
        Assert.Equal(2L << 30, r.MemoryLimitInBytes);
        Assert.Equal(750, r.OomScoreAdj); // 1000 - 1000 * 1Gi / 4Gi

        V1Container limitOnly = Limited("g", cpuLimit: "1m", memLimit: "32Mi");
        LinuxContainerResources g = PodResources.ContainerResources(Pod(limitOnly), limitOnly, Node.MemoryBytes);
        Assert.Equal(QosClass.Guaranteed, PodResources.Qos(Pod(limitOnly)));
        Assert.Equal(2, g.CpuShares); // 1m * 1024 / 1000 rounds to 1, raised to the minimum 2
        Assert.Equal(1000, g.CpuQuota); // the minimum quota
        Assert.Equal(-997, g.OomScoreAdj);

        var none = new V1Container { Name = "e" };
        LinuxContainerResources e = PodResources.ContainerResources(Pod(none), none, Node.MemoryBytes);
        Assert.Equal(QosClass.BestEffort, PodResources.Qos(Pod(none)));
        Assert.Equal(2, e.CpuShares);
        Assert.Equal(0, e.CpuQuota);
        Assert.Equal(1000, e.OomScoreAdj);

        V1Container huge = Limited("h", memRequest: "4Gi");
        Assert.Equal(3, PodResources.OomScoreAdj(Pod(huge), huge, Node.MemoryBytes));
    }

    [Fact]
    public void SecurityContext_ContainerOverridesPod_FsGroupIsSupplemental_NoEscalationIsNoNewPrivs()
    {
        var container = new V1Container
        {
            Name = "app",
            SecurityContext = new V1SecurityContext
            {
                RunAsUser = 1000,
                ReadOnlyRootFilesystem = true,
                AllowPrivilegeEscalation = false,
                Capabilities = new V1Capabilities { Add = ["NET_ADMIN"], Drop = ["ALL"] },
            },
        };
        V1Pod pod = Pod(container);
        pod.Spec.HostNetwork = true;
        pod.Spec.HostIPC = true;
        pod.Spec.SecurityContext = new V1PodSecurityContext { RunAsUser = 5, RunAsGroup = 7, FsGroup = 2000, SupplementalGroups = [3000] };

        LinuxContainerSecurityContext sc = SecurityContexts.Container(pod, container);
        Assert.Equal(1000, sc.RunAsUser.Value);
        Assert.Equal(7, sc.RunAsGroup.Value);
        Assert.Equal([2000L, 3000L], sc.SupplementalGroups);
        Assert.True(sc.ReadonlyRootfs);
        Assert.True(sc.NoNewPrivs);
        Assert.Equal(["NET_ADMIN"], sc.Capabilities.AddCapabilities);
        Assert.Equal(["ALL"], sc.Capabilities.DropCapabilities);
        Assert.Equal(NamespaceMode.Node, sc.NamespaceOptions.Network);
        Assert.Equal(NamespaceMode.Container, sc.NamespaceOptions.Pid);
        Assert.Equal(NamespaceMode.Node, sc.NamespaceOptions.Ipc);
        LinuxSandboxSecurityContext sandbox = SecurityContexts.Sandbox(pod);
        Assert.Equal(5, sandbox.RunAsUser.Value);
        Assert.Equal(NamespaceMode.Node, sandbox.NamespaceOptions.Network);
    }

    [Fact]
    public void RunAsNonRoot_RefusesRootImagesAndUidZero_AcceptsANonRootUser()
    {
        var container = new V1Container { Name = "app", SecurityContext = new V1SecurityContext { RunAsNonRoot = true } };
        V1Pod pod = Pod(container);
        var root = Assert.Throws<ContainerConfigException>(() => SecurityContexts.VerifyRunAsNonRoot(pod, container, null, null));
        Assert.Equal("container has runAsNonRoot and image will run as root (pod: \"p_ns1(uid-1)\", container: app)", root.Message);
        Assert.Equal("CreateContainerConfigError", root.Reason);
        Assert.Contains("non-numeric user (nobody)", Assert.Throws<ContainerConfigException>(() => SecurityContexts.VerifyRunAsNonRoot(pod, container, null, "nobody")).Message, StringComparison.Ordinal);
        SecurityContexts.VerifyRunAsNonRoot(pod, container, 1000, null);
        SecurityContexts.VerifyRunAsNonRoot(pod, container, null, "1000:1000");
        Assert.Throws<ContainerConfigException>(() => SecurityContexts.VerifyRunAsNonRoot(pod, container, null, "0:0"));
        container.SecurityContext.RunAsUser = 0;
        Assert.StartsWith("container's runAsUser breaks non-root policy", Assert.Throws<ContainerConfigException>(() => SecurityContexts.VerifyRunAsNonRoot(pod, container, 1000, null)).Message, StringComparison.Ordinal);
    }

    internal static V1Pod Pod(V1Container container) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "p",
            NamespaceProperty = "ns1",
            Uid = "uid-1",
            Labels = new Dictionary<string, string> { ["app"] = "web" },
            Annotations = new Dictionary<string, string> { ["note"] = "n" },
        },
        Spec = new V1PodSpec { NodeName = "node-1", ServiceAccountName = "sa", Containers = [container] },
    };

    internal static V1Container Limited(string name, string? cpuRequest = null, string? cpuLimit = null, string? memRequest = null, string? memLimit = null)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        var limits = new Dictionary<string, ResourceQuantity>();
        Add(requests, "cpu", cpuRequest);
        Add(requests, "memory", memRequest);
        Add(limits, "cpu", cpuLimit);
        Add(limits, "memory", memLimit);
        return new V1Container { Name = name, Image = "busybox", Resources = new V1ResourceRequirements { Requests = requests, Limits = limits } };

        static void Add(Dictionary<string, ResourceQuantity> map, string key, string? value)
        {
            if (value is not null)
            {
                map[key] = new ResourceQuantity(value);
            }
        }
    }

    private static ContainerConfigBuilder Builder() => new(
        new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" }),
        new KubeletOptions { NodeName = "node-1", InternalIp = "192.0.2.1", DataDir = Path.GetTempPath(), NodeAllocatable = Node });
}
