using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers.EndpointSlice;

namespace Skiff.ControlPlane.Tests.Controllers.EndpointSlice;

public sealed class SliceTrackerTests
{
    private const string Service = "default/web";
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void IsSynced_CacheMissingOrOlderThanTheWrite_IsFalseUntilItCatchesUp()
    {
        var tracker = new SliceTracker(_time);
        tracker.Written(Service, "web-abcde", "12");

        Assert.False(tracker.IsSynced(Service, new Dictionary<string, string?>()));
        Assert.False(tracker.IsSynced(Service, new Dictionary<string, string?> { ["web-abcde"] = "11" }));
        Assert.True(tracker.IsSynced(Service, new Dictionary<string, string?> { ["web-abcde"] = "12" }));
        Assert.True(tracker.IsSynced(Service, new Dictionary<string, string?>()));
    }

    [Fact]
    public void IsSynced_DeletedSliceStillCached_IsFalseUntilItGoes()
    {
        var tracker = new SliceTracker(_time);
        tracker.Deleted(Service, "web-abcde");

        Assert.False(tracker.IsSynced(Service, new Dictionary<string, string?> { ["web-abcde"] = "12" }));
        Assert.True(tracker.IsSynced(Service, new Dictionary<string, string?>()));
    }

    [Fact]
    public void IsSynced_WriteNeverSeen_IsForgottenAfterPatience()
    {
        var tracker = new SliceTracker(_time);
        tracker.Written(Service, "web-abcde", "12");
        var empty = new Dictionary<string, string?>();

        _time.Advance(SliceTracker.Patience - TimeSpan.FromSeconds(1));
        Assert.False(tracker.IsSynced(Service, empty));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(tracker.IsSynced(Service, empty));
        Assert.True(tracker.IsSynced("default/other", empty));
    }
}
