using k8s.Models;
using Skiff.Agent.Kubelet.Lifecycle;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

public sealed class ProbeCounterTests
{
    [Fact]
    public void Liveness_StaysLive_UntilFailureThresholdConsecutiveFailures()
    {
        var counter = new ProbeCounter(ProbeKind.Liveness, null, 3);

        Assert.True(counter.Succeeding);
        Assert.False(counter.Record(false));
        Assert.False(counter.Record(false));
        Assert.False(counter.Record(true));
        Assert.False(counter.Record(false));
        Assert.False(counter.Record(false));
        Assert.False(counter.FailureThresholdReached);
        Assert.True(counter.Record(false));
        Assert.False(counter.Succeeding);
        Assert.True(counter.FailureThresholdReached);
    }

    [Fact]
    public void Readiness_StartsUnready_AndNeedsSuccessThresholdSuccesses()
    {
        var counter = new ProbeCounter(ProbeKind.Readiness, 2, 1);

        Assert.False(counter.Succeeding);
        Assert.False(counter.Record(true));
        Assert.True(counter.Record(true));
        Assert.True(counter.Succeeding);
        Assert.True(counter.Record(false));
        Assert.False(counter.Succeeding);
    }

    [Fact]
    public void Startup_StartsNotStarted_AndOneSuccessStartsIt()
    {
        var counter = new ProbeCounter(ProbeKind.Startup, 5, 30);

        Assert.False(counter.Succeeding);
        Assert.False(counter.Record(false));
        Assert.True(counter.Record(true));
    }

    [Theory]
    [InlineData(199, false)]
    [InlineData(200, true)]
    [InlineData(302, true)]
    [InlineData(399, true)]
    [InlineData(400, false)]
    [InlineData(500, false)]
    public void IsHttpSuccess_Accepts200To399(int code, bool success) => Assert.Equal(success, ProbeCounter.IsHttpSuccess(code));

    [Fact]
    public void ResolvePort_TakesNumbersAndTheContainersNamedPorts()
    {
        var container = new V1Container { Name = "web", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080 }] };

        Assert.Equal(8080, HandlerRunner.ResolvePort(container, "http"));
        Assert.Equal(81, HandlerRunner.ResolvePort(container, 81));
        Assert.Throws<ArgumentException>(() => HandlerRunner.ResolvePort(container, "metrics"));
    }

    [Fact]
    public void LogTail_JoinsPartialLinesAndKeepsTheLastLines()
    {
        string[] log =
        [
            "2026-01-01T00:00:00.000000000Z stdout F one",
            "2026-01-01T00:00:00.000000000Z stdout P tw",
            "2026-01-01T00:00:00.000000000Z stderr F o",
            "2026-01-01T00:00:00.000000000Z stdout F three",
        ];

        Assert.Equal("two\nthree\n", TerminationMessage.LogTail(log, 3, 2048));
        Assert.Equal("ree\n", TerminationMessage.LogTail(log, 3, 4));
    }
}
