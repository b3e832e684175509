using Microsoft.Extensions.Logging;

namespace Skiff.ApiServer.Admission.Webhooks;

internal sealed partial class WebhookDispatcher
{
    [LoggerMessage(EventId = 2480, Level = LogLevel.Warning, Message = "Calling admission webhook {Webhook} failed; the request continues (failurePolicy Ignore): {Reason}")]
    private static partial void LogFailedOpen(ILogger logger, string webhook, string reason);

    [LoggerMessage(EventId = 2481, Level = LogLevel.Warning, Message = "Calling admission webhook {Webhook} failed; the request is refused (failurePolicy Fail): {Reason}")]
    private static partial void LogFailedClosed(ILogger logger, string webhook, string reason);

    [LoggerMessage(EventId = 2482, Level = LogLevel.Debug, Message = "Admission webhook {Webhook} denied the request for {Namespace}/{Name}")]
    private static partial void LogDenied(ILogger logger, string webhook, string? @namespace, string name);

    [LoggerMessage(EventId = 2483, Level = LogLevel.Debug, Message = "Admission webhook {Webhook} patched {Namespace}/{Name}")]
    private static partial void LogPatched(ILogger logger, string webhook, string? @namespace, string name);
}
