using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Dns;

public sealed partial class ClusterDnsServer
{
    [LoggerMessage(EventId = 8240, Level = LogLevel.Information, Message = "Cluster DNS listening on {EndPoint} (UDP and TCP) for {Domain} with {Names} names")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint, string domain, int names);

    [LoggerMessage(EventId = 8241, Level = LogLevel.Debug, Message = "Cluster DNS records rebuilt: {Names} names, serial {Serial}")]
    private static partial void LogRebuilt(ILogger logger, int names, uint serial);

    [LoggerMessage(EventId = 8242, Level = LogLevel.Debug, Message = "Dropped a malformed DNS message of {Length} bytes: {Reason}")]
    private static partial void LogMalformed(ILogger logger, int length, string reason);

    [LoggerMessage(EventId = 8243, Level = LogLevel.Debug, Message = "No upstream nameserver ({Servers} configured) answered for {Name}; answering SERVFAIL")]
    private static partial void LogUpstreamFailed(ILogger logger, string name, int servers);

    [LoggerMessage(EventId = 8244, Level = LogLevel.Debug, Message = "Cluster DNS socket error {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 8245, Level = LogLevel.Debug, Message = "Cluster DNS TCP connection closed: {Reason}")]
    private static partial void LogTcpClosed(ILogger logger, string reason);
}
