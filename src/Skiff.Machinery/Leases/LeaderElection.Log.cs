using Microsoft.Extensions.Logging;

namespace Skiff.Machinery.Leases;

public sealed partial class LeaderElection
{
    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "{Identity} is trying to acquire the Lease {Namespace}/{Name}.")]
    private partial void LogAcquiring(string identity, string @namespace, string name);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "{Identity} acquired the Lease {Namespace}/{Name} and leads.")]
    private partial void LogAcquired(string identity, string @namespace, string name);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "{Identity} lost the Lease {Namespace}/{Name}: it could not renew within the deadline.")]
    private partial void LogLost(string identity, string @namespace, string name);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Information, Message = "{Identity} released the Lease {Namespace}/{Name}.")]
    private partial void LogReleased(string identity, string @namespace, string name);

    [LoggerMessage(EventId = 5205, Level = LogLevel.Information, Message = "{Identity} leads through the Lease {Namespace}/{Name}.")]
    private partial void LogNewLeader(string identity, string @namespace, string name);

    [LoggerMessage(EventId = 5206, Level = LogLevel.Debug, Message = "Reading or writing the Lease {Namespace}/{Name} failed; retrying.")]
    private partial void LogLeaseError(string @namespace, string name, Exception exception);
}
