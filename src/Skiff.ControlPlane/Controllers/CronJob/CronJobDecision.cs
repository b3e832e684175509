using k8s.Models;

namespace Skiff.ControlPlane.Controllers.CronJob;

/// <summary>An event the controller records about the CronJob (type, reason, message as upstream writes them).</summary>
internal sealed record CronJobEvent(string Type, string Reason, string Message);

/// <summary>
/// What one CronJob sync decided, before any API call: the status to write (already updated in <see cref="Status"/>), the Jobs
/// to delete (history limits, Replace), the Job to create for <see cref="ScheduledTime"/>, the events, and when to look again.
/// </summary>
internal sealed class CronJobDecision
{
    public required V1CronJobStatus Status { get; init; }

    public bool StatusChanged { get; set; }

    public List<V1Job> DeleteForHistory { get; } = [];

    public List<V1ObjectReference> DeleteForReplace { get; } = [];

    public V1Job? Create { get; set; }

    public DateTimeOffset? ScheduledTime { get; set; }

    public List<CronJobEvent> Events { get; } = [];

    public TimeSpan? RequeueAfter { get; set; }
}
