
namespace Skiff.Pki;

internal sealed partial class ClusterPki
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Created the cluster CA {Subject} in {Path}")]
    private static partial void LogCreatedCa(ILogger logger, string subject, string path);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Reusing the cluster CA {Subject}, valid until {NotAfter}")]
    private static partial void LogReusingCa(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Issued {Path} for {Names}")]
    private static partial void LogIssued(ILogger logger, string path, string names);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Re-issuing {Path}: its names changed, it nears expiry or another CA signed it")]
    private static partial void LogReissuing(ILogger logger, string path);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Created the service-account signing key {Path}")]
    private static partial void LogCreatedServiceAccountKey(ILogger logger, string path);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Created the join token {Path}")]
    private static partial void LogCreatedToken(ILogger logger, string path);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Wrote the admin kubeconfig {Path} for {Server}")]
    private static partial void LogWroteKubeconfig(ILogger logger, string path, Uri server);
}
