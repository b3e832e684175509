using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Scheduling;

public sealed partial class Scheduler
{
    [LoggerMessage(EventId = 7100, Level = LogLevel.Debug, Message = "Pod {Namespace}/{Name} names scheduler {SchedulerName}, which no profile serves; left for another scheduler.")]
    private partial void LogUnknownScheduler(string? @namespace, string? name, string? schedulerName);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Debug, Message = "Pod {Namespace}/{Name} assumed on node {NodeName} ({Feasible} feasible of {Evaluated} evaluated).")]
    private partial void LogAssumed(string? @namespace, string? name, string nodeName, int feasible, int evaluated);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Pod {Namespace}/{Name} is unschedulable: {Message}")]
    private partial void LogUnschedulable(string? @namespace, string? name, string message);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Error, Message = "Scheduling pod {Namespace}/{Name} failed: {Message}")]
    private partial void LogSchedulingError(string? @namespace, string? name, string message);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Information, Message = "Binding pod {Namespace}/{Name} to node {NodeName} failed; it is retried after back-off.")]
    private partial void LogBindFailed(Exception exception, string? @namespace, string? name, string nodeName);

    [LoggerMessage(EventId = 7105, Level = LogLevel.Error, Message = "The failure handler for pod {Namespace}/{Name} threw.")]
    private partial void LogFailureHandlerThrew(Exception exception, string? @namespace, string? name);
}
