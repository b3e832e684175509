using Microsoft.Extensions.Logging;

namespace Skiff.ControlPlane.Controllers;

public abstract partial class Controller
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "The {Controller} controller synced its caches and runs {Workers} workers.")]
    private static partial void LogStarted(ILogger logger, string controller, int workers);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "The {Controller} controller stopped.")]
    private static partial void LogStopped(ILogger logger, string controller);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "The {Controller} controller failed to reconcile {Key} (attempt {Attempt}); it will retry with back-off.")]
    private static partial void LogReconcileFailed(ILogger logger, string controller, string key, int attempt, Exception failure);
}
