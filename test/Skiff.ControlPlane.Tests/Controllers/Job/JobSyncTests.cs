using k8s.Models;
using Skiff.ControlPlane.Controllers.Job;

namespace Skiff.ControlPlane.Tests.Controllers.Job;

public sealed class JobSyncTests
{
    [Theory]
    [InlineData(5, 2, 0, 0, 2)]
    [InlineData(5, 2, 4, 1, 1)]
    [InlineData(5, 2, 5, 0, 0)]
    [InlineData(null, 3, 0, 0, 3)]
    [InlineData(null, 3, 1, 2, 2)]
    [InlineData(null, 3, 1, 0, 0)]
    public void WantActive_CompletionsParallelismAndSucceeded_IsTheRemainingWorkCappedByParallelism(int? completions, int parallelism, int succeeded, int active, int expected)
    {
        var job = new V1Job { Spec = new V1JobSpec { Completions = completions, Parallelism = parallelism } };

        Assert.Equal(expected, JobSync.WantActive(job, succeeded, active));
    }

    [Fact]
    public void IndexesToStart_SomeCompletedSomeRunning_TakesTheLowestFreeIndexesUpToParallelism()
    {
        var job = new V1Job { Spec = new V1JobSpec { Completions = 6, Parallelism = 3 } };

        Assert.Equal([2, 4], JobSync.IndexesToStart(job, new SortedSet<int> { 0, 3 }, new HashSet<int> { 1 }, active: 1));
    }

    [Fact]
    public void FailureBackoff_MoreFailures_DoublesUpToSixMinutes()
    {
        TimeSpan initial = TimeSpan.FromSeconds(10);

        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(6)],
            new[] { 0, 1, 2, 3, 30 }.Select(failed => JobSync.FailureBackoff(initial, failed)));
    }

    [Fact]
    public void IsFailed_DeletedBeforeFinishing_CountsUnlessOnlyFailedPodsAreReplaced()
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { DeletionTimestamp = DateTime.UtcNow }, Status = new V1PodStatus { Phase = "Running" } };

        Assert.True(JobSync.IsFailed(pod, new V1Job { Spec = new V1JobSpec { PodReplacementPolicy = "TerminatingOrFailed" } }));
        Assert.False(JobSync.IsFailed(pod, new V1Job { Spec = new V1JobSpec { PodReplacementPolicy = "Failed" } }));
    }
}
