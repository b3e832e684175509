using Microsoft.Extensions.Time.Testing;
using Skiff.Agent.Kubelet.Lifecycle;

namespace Skiff.Agent.Tests.Kubelet.Lifecycle;

public sealed class RestartBackOffTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly RestartBackOff _backOff = new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));

    [Fact]
    public void CrashingContainer_FirstRestartIsImmediate_ThenDelaysDoubleFrom10sUpTo5m()
    {
        string key = RestartBackOff.Key("uid", "app");
        var waited = new List<TimeSpan>();
        for (int restart = 0; restart < 8; restart++)
        {
            // The container crashes one second after its start.
            _time.Advance(TimeSpan.FromSeconds(1));
            DateTimeOffset finished = _time.GetUtcNow();
            TimeSpan total = TimeSpan.Zero;
            while (_backOff.InBackOff(key, finished, TimeSpan.FromSeconds(1), _time.GetUtcNow()) is not null)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                total += TimeSpan.FromSeconds(1);
            }

            waited.Add(total);
            _backOff.Next(key);
        }

        Assert.Equal([0, 10, 20, 40, 80, 160, 300, 300], waited.Select(w => (int)w.TotalSeconds));
    }

    [Fact]
    public void InBackOff_ReportsTheDelayInForce()
    {
        string key = RestartBackOff.Key("uid", "app");
        _backOff.Next(key);
        _backOff.Next(key);

        TimeSpan? delay = _backOff.InBackOff(key, _time.GetUtcNow(), TimeSpan.FromSeconds(3), _time.GetUtcNow().AddSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(20), delay);
        Assert.Null(_backOff.InBackOff(key, _time.GetUtcNow(), TimeSpan.FromSeconds(3), _time.GetUtcNow().AddSeconds(20)));
    }

    [Fact]
    public void ContainerThatRanTenMinutes_StartsTheBackOffAgain()
    {
        string key = RestartBackOff.Key("uid", "app");
        for (int i = 0; i < 6; i++)
        {
            _backOff.Next(key);
        }

        Assert.Null(_backOff.InBackOff(key, _time.GetUtcNow(), TimeSpan.FromMinutes(10), _time.GetUtcNow()));
        Assert.Equal(TimeSpan.FromSeconds(10), _backOff.Next(key));
    }

    [Fact]
    public void Forget_DropsOnlyThatPodsContainers()
    {
        _backOff.Next(RestartBackOff.Key("a", "app"));
        _backOff.Next(RestartBackOff.Key("b", "app"));

        _backOff.Forget("a");

        Assert.Null(_backOff.InBackOff(RestartBackOff.Key("a", "app"), _time.GetUtcNow(), TimeSpan.Zero, _time.GetUtcNow()));
        Assert.NotNull(_backOff.InBackOff(RestartBackOff.Key("b", "app"), _time.GetUtcNow(), TimeSpan.Zero, _time.GetUtcNow()));
    }

    [Theory]
    [InlineData(10, "10s")]
    [InlineData(80, "1m20s")]
    [InlineData(160, "2m40s")]
    [InlineData(300, "5m0s")]
    [InlineData(3600, "1h0m0s")]
    public void GoDuration_PrintsAsGoDoes(int seconds, string expected) =>
        Assert.Equal(expected, RestartBackOff.GoDuration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Message_IsUpstreams() =>
        Assert.Equal("back-off 40s restarting failed container=app pod=web_default(1234)",
            RestartBackOff.Message(TimeSpan.FromSeconds(40), "app", "web", "default", "1234"));
}
