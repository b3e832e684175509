using k8s.Models;
using Skiff.ApiServer.Tables;
using static Skiff.ApiServer.Tests.Tables.TableTestData;

namespace Skiff.ApiServer.Tests.Tables;

public sealed class PodPrinterTests
{
    private readonly ITablePrinter _printer = new TablePrinters().For("", "Pod");

    [Fact]
    public void Columns_Pod_AreUpstreamsWithWideOnes()
    {
        Assert.Equal(
            ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"],
            _printer.Columns.Select(c => c.Name));
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1, 1], _printer.Columns.Select(c => c.Priority));
        Assert.Equal("name", _printer.Columns[0].Format);
    }

    [Fact]
    public void Cells_RunningReadyPod_PrintsOneOfOneRunning()
    {
        V1Pod pod = RunningPod();

        IReadOnlyList<object?> cells = _printer.Cells(pod, Now);

        Assert.Equal<object?>(["web", "1/1", "Running", "0", "5m", "10.244.0.24", "node-1", "<none>", "<none>"], cells);
    }

    [Fact]
    public void Cells_CrashLoopingPod_ShowsReasonAndLastRestart()
    {
        V1Pod pod = RunningPod();
        V1ContainerStatus status = pod.Status.ContainerStatuses[0];
        status.Ready = false;
        status.RestartCount = 5;
        status.State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff" } };
        status.LastState = new V1ContainerState
        {
            Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error", FinishedAt = Ago(TimeSpan.FromSeconds(42)) },
        };

        IReadOnlyList<object?> cells = _printer.Cells(pod, Now);

        Assert.Equal<object?>(["web", "0/1", "CrashLoopBackOff", "5 (42s ago)", "5m"], cells.Take(5));
    }

    [Fact]
    public void Cells_DeletedRunningPod_ShowsTerminating()
    {
        V1Pod pod = RunningPod();
        pod.Metadata.DeletionTimestamp = Ago(TimeSpan.FromSeconds(1));

        Assert.Equal("Terminating", _printer.Cells(pod, Now)[2]);
    }

    [Fact]
    public void Cells_DeletedSucceededPod_KeepsCompleted()
    {
        V1Pod pod = RunningPod();
        pod.Metadata.DeletionTimestamp = Ago(TimeSpan.FromSeconds(1));
        pod.Status.Phase = "Succeeded";
        pod.Status.ContainerStatuses[0].Ready = false;
        pod.Status.ContainerStatuses[0].State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, Reason = "Completed" } };

        Assert.Equal<object?>(["web", "0/1", "Completed", "0"], _printer.Cells(pod, Now).Take(4));
    }

    [Fact]
    public void Cells_UnscheduledPod_ShowsPendingAndNone()
    {
        var pod = new V1Pod
        {
            Metadata = Meta("web", TimeSpan.FromSeconds(3)),
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx" }] },
            Status = new V1PodStatus { Phase = "Pending" },
        };

        Assert.Equal<object?>(["web", "0/1", "Pending", "0", "3s", "<none>", "<none>", "<none>", "<none>"], _printer.Cells(pod, Now));
    }

    [Fact]
    public void Cells_CreatingContainer_ShowsContainerCreating()
    {
        V1Pod pod = RunningPod();
        pod.Status.Phase = "Pending";
        pod.Status.ContainerStatuses[0].Ready = false;
        pod.Status.ContainerStatuses[0].State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };

        Assert.Equal("ContainerCreating", _printer.Cells(pod, Now)[2]);
    }

    [Fact]
    public void Cells_FirstOfTwoInitContainersRunning_ShowsInitZeroOfTwo()
    {
        V1Pod pod = RunningPod();
        pod.Status.Phase = "Pending";
        pod.Spec.InitContainers = [new V1Container { Name = "init-a" }, new V1Container { Name = "init-b" }];
        pod.Status.InitContainerStatuses =
        [
            new V1ContainerStatus { Name = "init-a", State = new V1ContainerState { Running = new V1ContainerStateRunning() } },
            new V1ContainerStatus { Name = "init-b", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "PodInitializing" } } },
        ];
        pod.Status.ContainerStatuses[0].Ready = false;
        pod.Status.ContainerStatuses[0].State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "PodInitializing" } };

        Assert.Equal("Init:0/2", _printer.Cells(pod, Now)[2]);
    }

    [Fact]
    public void Cells_FailedInitContainer_ShowsInitError()
    {
        V1Pod pod = RunningPod();
        pod.Status.Phase = "Pending";
        pod.Spec.InitContainers = [new V1Container { Name = "init" }];
        pod.Status.InitContainerStatuses =
        [
            new V1ContainerStatus { Name = "init", RestartCount = 2, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1, Reason = "Error" } } },
        ];

        IReadOnlyList<object?> cells = _printer.Cells(pod, Now);

        Assert.Equal("Init:Error", cells[2]);
        Assert.Equal("2", cells[3]);
    }

    [Fact]
    public void Cells_SidecarInitContainerStarted_CountsTowardsReady()
    {
        V1Pod pod = RunningPod();
        pod.Spec.InitContainers = [new V1Container { Name = "proxy", RestartPolicy = "Always" }];
        pod.Status.Conditions = [new V1PodCondition { Type = "Initialized", Status = "True" }, new V1PodCondition { Type = "Ready", Status = "True" }];
        pod.Status.InitContainerStatuses =
        [
            new V1ContainerStatus { Name = "proxy", Ready = true, Started = true, State = new V1ContainerState { Running = new V1ContainerStateRunning() } },
        ];

        Assert.Equal<object?>(["web", "2/2", "Running"], _printer.Cells(pod, Now).Take(3));
    }

    [Fact]
    public void Cells_ReadinessGates_CountsTrueConditions()
    {
        V1Pod pod = RunningPod();
        pod.Spec.ReadinessGates = [new V1PodReadinessGate { ConditionType = "example.com/a" }, new V1PodReadinessGate { ConditionType = "example.com/b" }];
        pod.Status.Conditions = [new V1PodCondition { Type = "example.com/a", Status = "True" }];

        Assert.Equal("1/2", _printer.Cells(pod, Now)[8]);
    }

    [Fact]
    public void Cells_WrongType_Throws()
    {
        Assert.Throws<ArgumentException>(() => _printer.Cells(new V1Service(), Now));
    }

    internal static V1Pod RunningPod() => new()
    {
        Metadata = Meta("web", TimeSpan.FromMinutes(5)),
        Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "app", Image = "nginx" }] },
        Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = "10.244.0.24",
            PodIPs = [new V1PodIP { Ip = "10.244.0.24" }],
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "app",
                    Ready = true,
                    Started = true,
                    RestartCount = 0,
                    State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = Ago(TimeSpan.FromMinutes(4)) } },
                },
            ],
        },
    };
}
