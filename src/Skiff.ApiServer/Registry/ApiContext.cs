using Skiff.Store;

namespace Skiff.ApiServer.Registry;

/// <summary>What strategies may use: the clock, the store (for allocations) and the cluster settings.</summary>
internal sealed record ApiContext(TimeProvider TimeProvider, IRevisionedStore Store, ApiServerOptions Options, bool DryRun)
{
    /// <summary>Now, truncated to whole seconds as metav1.Time is.</summary>
    public DateTime Now
    {
        get
        {
            DateTimeOffset now = TimeProvider.GetUtcNow();
            return new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        }
    }
}
