using k8s.Models;
using Skiff.ControlPlane.Controllers.Disruption;

namespace Skiff.ControlPlane.Tests.Controllers.Disruption;

public sealed class DisruptionSyncTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ComputeStatus_MinAvailableNumberAndEnoughReadyPods_AllowsTheSurplus()
    {
        V1PodDisruptionBudget pdb = Budget(minAvailable: "2");
        V1Pod[] pods = [Pod("a"), Pod("b"), Pod("c")];

        (int expected, int desired) = DisruptionSync.Desired(pdb, pods.Length, controllerScale: 0);
        V1PodDisruptionBudgetStatus status = DisruptionSync.ComputeStatus(pdb, pods, expected, desired, s_now, out _);

        Assert.Equal((3, 2, 3, 1, 4L), (status.ExpectedPods, status.DesiredHealthy, status.CurrentHealthy, status.DisruptionsAllowed, status.ObservedGeneration));
        V1Condition condition = Assert.Single(status.Conditions);
        Assert.Equal(("DisruptionAllowed", "True", "SufficientPods"), (condition.Type, condition.Status, condition.Reason));
    }

    [Fact]
    public void ComputeStatus_MaxUnavailableWithAPodNotReady_AllowsNone()
    {
        V1PodDisruptionBudget pdb = Budget(maxUnavailable: "1");
        V1Pod[] pods = [Pod("a"), Pod("b"), Pod("c", ready: false)];

        (int expected, int desired) = DisruptionSync.Desired(pdb, pods.Length, controllerScale: 3);
        V1PodDisruptionBudgetStatus status = DisruptionSync.ComputeStatus(pdb, pods, expected, desired, s_now, out _);

        Assert.Equal((3, 2, 2, 0), (status.ExpectedPods, status.DesiredHealthy, status.CurrentHealthy, status.DisruptionsAllowed));
        Assert.Equal(("False", "InsufficientPods"), (status.Conditions[0].Status, status.Conditions[0].Reason));
    }

    [Theory]
    [InlineData("50%", null, 3, 2)]
    [InlineData(null, "50%", 3, 1)]
    [InlineData(null, "10", 3, 0)]
    [InlineData("100%", null, 5, 5)]
    public void Desired_Percentages_RoundTowardsKeepingPods(string? minAvailable, string? maxUnavailable, int scale, int desiredHealthy)
    {
        (int expected, int desired) = DisruptionSync.Desired(Budget(minAvailable, maxUnavailable), podCount: 2, scale);

        Assert.Equal((scale, desiredHealthy), (expected, desired));
    }

    [Fact]
    public void ComputeStatus_DisruptedPods_RecentOnesDoNotCountAndStaleOnesAreDropped()
    {
        V1PodDisruptionBudget pdb = Budget(minAvailable: "1");
        pdb.Status = new V1PodDisruptionBudgetStatus
        {
            DisruptedPods = new Dictionary<string, DateTime?>
            {
                ["recent"] = s_now.UtcDateTime.AddSeconds(-30),
                ["expired"] = s_now.UtcDateTime.AddMinutes(-5),
                ["deleting"] = s_now.UtcDateTime.AddSeconds(-10),
                ["gone"] = s_now.UtcDateTime.AddSeconds(-10),
            },
        };
        V1Pod deleting = Pod("deleting");
        deleting.Metadata.DeletionTimestamp = s_now.UtcDateTime;
        V1Pod[] pods = [Pod("recent"), Pod("expired"), deleting];

        V1PodDisruptionBudgetStatus status = DisruptionSync.ComputeStatus(pdb, pods, 3, 1, s_now, out DateTimeOffset? recheckAt);

        Assert.Equal(["recent"], status.DisruptedPods.Keys);
        Assert.Equal(1, status.CurrentHealthy);
        Assert.Equal(0, status.DisruptionsAllowed);
        Assert.Equal(s_now.AddSeconds(90), recheckAt);
    }

    [Fact]
    public void FailSafe_AllowsNoDisruptionAndSaysWhy()
    {
        V1PodDisruptionBudget pdb = Budget(maxUnavailable: "1");
        pdb.Status = new V1PodDisruptionBudgetStatus { DisruptionsAllowed = 2, CurrentHealthy = 3 };

        V1PodDisruptionBudgetStatus status = DisruptionSync.FailSafe(pdb, "found no controllers for pod \"a\"", s_now);

        Assert.Equal(0, status.DisruptionsAllowed);
        Assert.Equal(3, status.CurrentHealthy);
        V1Condition condition = Assert.Single(status.Conditions);
        Assert.Equal(("False", "SyncFailed", "found no controllers for pod \"a\""), (condition.Status, condition.Reason, condition.Message));
    }

    [Fact]
    public void SelectPods_MissingSelectorSelectsNoneAndEmptySelectorAll()
    {
        V1Pod[] pods = [Pod("a"), Pod("b", app: "other")];
        V1PodDisruptionBudget none = Budget(minAvailable: "1");
        none.Spec.Selector = null;
        V1PodDisruptionBudget all = Budget(minAvailable: "1");
        all.Spec.Selector = new V1LabelSelector();

        Assert.Empty(DisruptionSync.SelectPods(none, pods));
        Assert.Equal(2, DisruptionSync.SelectPods(all, pods).Count);
        Assert.Equal("a", Assert.Single(DisruptionSync.SelectPods(Budget(minAvailable: "1"), pods)).Metadata.Name);
    }

    [Fact]
    public void StatusEquals_SameFiguresAndCondition_IsTrueSoNothingIsWritten()
    {
        V1PodDisruptionBudget pdb = Budget(minAvailable: "1");
        V1Pod[] pods = [Pod("a"), Pod("b")];
        pdb.Status = DisruptionSync.ComputeStatus(pdb, pods, 2, 1, s_now, out _);

        V1PodDisruptionBudgetStatus again = DisruptionSync.ComputeStatus(pdb, pods, 2, 1, s_now.AddMinutes(1), out _);

        Assert.True(DisruptionSync.StatusEquals(pdb.Status, again));
        Assert.Equal(pdb.Status.Conditions[0].LastTransitionTime, again.Conditions[0].LastTransitionTime);
    }

    private static V1PodDisruptionBudget Budget(string? minAvailable = null, string? maxUnavailable = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "pdb", NamespaceProperty = "default", Generation = 4 },
        Spec = new V1PodDisruptionBudgetSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            MinAvailable = minAvailable is null ? null : (IntOrString)minAvailable,
            MaxUnavailable = maxUnavailable is null ? null : (IntOrString)maxUnavailable,
        },
    };

    private static V1Pod Pod(string name, bool ready = true, string app = "web") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Labels = new Dictionary<string, string> { ["app"] = app } },
        Status = new V1PodStatus
        {
            Phase = "Running",
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };
}
