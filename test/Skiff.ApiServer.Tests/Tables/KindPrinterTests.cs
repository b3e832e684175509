using System.Text.Json.Nodes;
using k8s.Models;
using Skiff.ApiServer.Tables;
using static Skiff.ApiServer.Tests.Tables.TableTestData;

namespace Skiff.ApiServer.Tests.Tables;

public sealed class KindPrinterTests
{
    private readonly TablePrinters _printers = new();

    [Fact]
    public void Cells_NodePortService_PrintsPortWithNodePort()
    {
        var svc = new V1Service
        {
            Metadata = Meta("web", TimeSpan.FromHours(2)),
            Spec = new V1ServiceSpec
            {
                Type = "NodePort",
                ClusterIP = "10.43.0.10",
                ClusterIPs = ["10.43.0.10"],
                Ports = [new V1ServicePort { Port = 80, NodePort = 30080, Protocol = "TCP" }],
                Selector = new Dictionary<string, string> { ["app"] = "web" },
            },
        };

        Assert.Equal<object?>(["web", "NodePort", "10.43.0.10", "<none>", "80:30080/TCP", "120m", "app=web"], _printers.For("", "Service").Cells(svc, Now));
    }

    [Fact]
    public void Cells_PendingLoadBalancer_PrintsPendingAndJoinsPorts()
    {
        var svc = new V1Service
        {
            Metadata = Meta("lb", TimeSpan.FromSeconds(9)),
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer",
                ClusterIPs = ["10.43.0.11"],
                Ports = [new V1ServicePort { Port = 80, Protocol = "TCP" }, new V1ServicePort { Port = 443, NodePort = 30443, Protocol = "TCP" }],
            },
        };

        Assert.Equal<object?>(["lb", "LoadBalancer", "10.43.0.11", "<pending>", "80/TCP,443:30443/TCP", "9s", "<none>"], _printers.For("", "Service").Cells(svc, Now));
    }

    [Fact]
    public void Cells_DeploymentTwoOfThree_PrintsReadyFraction()
    {
        var deployment = new V1Deployment
        {
            Metadata = Meta("web", TimeSpan.FromDays(2) + TimeSpan.FromHours(3)),
            Spec = new V1DeploymentSpec
            {
                Replicas = 3,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "nginx", Image = "nginx:1.27" }, new V1Container { Name = "log", Image = "busybox" }] },
                },
            },
            Status = new V1DeploymentStatus { ReadyReplicas = 2, UpdatedReplicas = 3, AvailableReplicas = 2 },
        };

        Assert.Equal<object?>(["web", "2/3", 3L, 2L, "2d3h", "nginx,log", "nginx:1.27,busybox", "app=web"], _printers.For("apps", "Deployment").Cells(deployment, Now));
    }

    [Fact]
    public void Cells_CordonedControlPlaneNode_PrintsStatusRolesAndWideColumns()
    {
        var node = new V1Node
        {
            Metadata = new V1ObjectMeta
            {
                Name = "node-1",
                CreationTimestamp = Ago(TimeSpan.FromDays(10)),
                Labels = new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "", ["node-role.kubernetes.io/etcd"] = "true" },
            },
            Spec = new V1NodeSpec { Unschedulable = true },
            Status = new V1NodeStatus
            {
                Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }],
                Addresses = [new V1NodeAddress { Type = "InternalIP", Address = "192.168.1.10" }],
                NodeInfo = new V1NodeSystemInfo { KubeletVersion = "v1.32.0", OsImage = "Debian GNU/Linux 12 (bookworm)", KernelVersion = "6.1.0", ContainerRuntimeVersion = "containerd://2.0.0" },
            },
        };

        Assert.Equal<object?>(
            ["node-1", "Ready,SchedulingDisabled", "control-plane,etcd", "10d", "v1.32.0", "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://2.0.0"],
            _printers.For("", "Node").Cells(node, Now));
    }

    [Fact]
    public void Cells_NodeWithoutConditions_IsUnknownWithUnknownInfo()
    {
        var node = new V1Node { Metadata = Meta("n", TimeSpan.FromSeconds(1), null) };

        Assert.Equal<object?>(["n", "Unknown", "<none>", "1s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"], _printers.For("", "Node").Cells(node, Now));
    }

    [Fact]
    public void Cells_CoreEvent_PrintsObjectSourceAndCount()
    {
        var ev = new Corev1Event
        {
            Metadata = Meta("web.17f", TimeSpan.FromMinutes(3)),
            Type = "Normal",
            Reason = "Scheduled",
            Message = "Successfully assigned default/web to node-1\n",
            InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "web", FieldPath = "spec.containers{app}" },
            Source = new V1EventSource { Component = "default-scheduler" },
            FirstTimestamp = Ago(TimeSpan.FromMinutes(3)),
            LastTimestamp = Ago(TimeSpan.FromSeconds(30)),
            Count = 4,
        };

        Assert.Equal<object?>(
            ["30s", "Normal", "Scheduled", "pod/web", "spec.containers{app}", "default-scheduler", "Successfully assigned default/web to node-1", "3m", 4L, "web.17f"],
            _printers.For("", "Event").Cells(ev, Now));
    }

    [Fact]
    public void Cells_EventsV1SingletonEvent_UsesEventTimeAndCountOne()
    {
        var ev = new Eventsv1Event
        {
            Metadata = Meta("x", TimeSpan.FromMinutes(1)),
            EventTime = Ago(TimeSpan.FromSeconds(50)),
            Type = "Warning",
            Reason = "BackOff",
            Note = "Back-off restarting failed container",
            Regarding = new V1ObjectReference { Kind = "Pod", Name = "web" },
            ReportingController = "kubelet",
            ReportingInstance = "node-1",
        };

        Assert.Equal<object?>(
            ["50s", "Warning", "BackOff", "pod/web", "", "kubelet, node-1", "Back-off restarting failed container", "50s", 1L, "x"],
            _printers.For("events.k8s.io", "Event").Cells(ev, Now));
        Assert.Equal("Last Seen", _printers.For("events.k8s.io", "Event").Columns[0].Name);
    }

    [Fact]
    public void Cells_CompletedJob_PrintsStatusCompletionsAndDuration()
    {
        var job = new V1Job
        {
            Metadata = Meta("pi", TimeSpan.FromMinutes(4)),
            Spec = new V1JobSpec { Completions = 1, Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "pi", Image = "perl" }] } } },
            Status = new V1JobStatus
            {
                Succeeded = 1,
                StartTime = Ago(TimeSpan.FromMinutes(4)),
                CompletionTime = Ago(TimeSpan.FromMinutes(4) - TimeSpan.FromSeconds(12)),
                Conditions = [new V1JobCondition { Type = "Complete", Status = "True" }],
            },
        };

        Assert.Equal<object?>(["pi", "Complete", "1/1", "12s", "4m", "pi", "perl", "<none>"], _printers.For("batch", "Job").Cells(job, Now));
    }

    [Fact]
    public void Cells_CronJob_PrintsTimezoneSuspendAndLastSchedule()
    {
        var cron = new V1CronJob
        {
            Metadata = Meta("hello", TimeSpan.FromHours(1)),
            Spec = new V1CronJobSpec { Schedule = "*/1 * * * *", Suspend = false, JobTemplate = new V1JobTemplateSpec() },
            Status = new V1CronJobStatus { Active = [new V1ObjectReference()], LastScheduleTime = Ago(TimeSpan.FromSeconds(20)) },
        };

        Assert.Equal<object?>(["hello", "*/1 * * * *", "<none>", "False", 1L, "20s", "60m", "", "", "<none>"], _printers.For("batch", "CronJob").Cells(cron, Now));
    }

    [Fact]
    public void Cells_ConfigMapAndSecret_CountData()
    {
        var cm = new V1ConfigMap { Metadata = Meta("cfg", TimeSpan.FromSeconds(5)), Data = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        var secret = new V1Secret { Metadata = Meta("s", TimeSpan.FromSeconds(5)), Type = "Opaque", Data = new Dictionary<string, byte[]> { ["k"] = [1] } };

        Assert.Equal<object?>(["cfg", 2L, "5s"], _printers.For("", "ConfigMap").Cells(cm, Now));
        Assert.Equal<object?>(["s", "Opaque", 1L, "5s"], _printers.For("", "Secret").Cells(secret, Now));
    }

    [Fact]
    public void Cells_RoleBinding_PrintsRoleAndSubjects()
    {
        var binding = new V1RoleBinding
        {
            Metadata = Meta("rb", TimeSpan.FromSeconds(5)),
            RoleRef = new V1RoleRef { Kind = "ClusterRole", Name = "view", ApiGroup = "rbac.authorization.k8s.io" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "alice" }, new Rbacv1Subject { Kind = "ServiceAccount", Name = "bot", NamespaceProperty = "ci" }],
        };

        Assert.Equal<object?>(["rb", "ClusterRole/view", "5s", "alice", "", "ci/bot"], _printers.For("rbac.authorization.k8s.io", "RoleBinding").Cells(binding, Now));
    }

    [Fact]
    public void Cells_BoundClaim_PrintsCapacityModesAndClass()
    {
        var pvc = new V1PersistentVolumeClaim
        {
            Metadata = Meta("data", TimeSpan.FromSeconds(5)),
            Spec = new V1PersistentVolumeClaimSpec { VolumeName = "pv-1", StorageClassName = "local-path" },
            Status = new V1PersistentVolumeClaimStatus
            {
                Phase = "Bound",
                AccessModes = ["ReadWriteMany", "ReadWriteOnce"],
                Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new ResourceQuantity("1Gi") },
            },
        };

        Assert.Equal<object?>(["data", "Bound", "pv-1", "1Gi", "RWO,RWX", "local-path", "<unset>", "5s", "<unset>"], _printers.For("", "PersistentVolumeClaim").Cells(pvc, Now));
    }

    [Theory]
    [InlineData("rbac.authorization.k8s.io", "ClusterRole")]
    [InlineData("apiextensions.k8s.io", "CustomResourceDefinition")]
    [InlineData("", "LimitRange")]
    [InlineData("example.com", "Widget")]
    public void For_KindWithoutPrinter_ReturnsDefaultNameAndCreatedAt(string group, string kind)
    {
        ITablePrinter printer = _printers.For(group, kind);

        Assert.Same(TablePrinters.Default, printer);
        Assert.Equal(["Name", "Created At"], printer.Columns.Select(c => c.Name));
        Assert.Equal("date", printer.Columns[1].Type);
    }

    [Fact]
    public void Cells_DefaultPrinter_PrintsRfc3339ForModelsAndJson()
    {
        var role = new V1ClusterRole { Metadata = new V1ObjectMeta { Name = "view", CreationTimestamp = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc) } };
        var widget = JsonNode.Parse("""{"metadata":{"name":"w","creationTimestamp":"2025-01-02T03:04:05Z"}}""")!.AsObject();

        Assert.Equal<object?>(["view", "2025-01-02T03:04:05Z"], TablePrinters.Default.Cells(role, Now));
        Assert.Equal<object?>(["w", "2025-01-02T03:04:05Z"], TablePrinters.Default.Cells(widget, Now));
    }

    [Fact]
    public void Columns_EveryPrinter_StartWithNameExceptEvents()
    {
        foreach ((string group, string kind) in new[] { ("", "Pod"), ("apps", "ReplicaSet"), ("", "Service"), ("", "Node"), ("batch", "Job"), ("storage.k8s.io", "StorageClass") })
        {
            TableColumn first = _printers.For(group, kind).Columns[0];
            Assert.Equal(("Name", "name", 0), (first.Name, first.Format, first.Priority));
        }
    }
}
