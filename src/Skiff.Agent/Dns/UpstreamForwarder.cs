using System.Net;
using System.Net.Sockets;

namespace Skiff.Agent.Dns;

/// <summary>
/// Relays queries for names outside the cluster to the nameservers of a resolv.conf, as they are (the client's id and flags go
/// through unchanged), over the transport the client used: UDP to UDP (a truncated answer reaches the client, which retries over
/// TCP) and TCP to TCP. Nameservers are tried in order, each for <see cref="ClusterDnsOptions.UpstreamTimeout"/>; null when none
/// answered. The file is read again whenever its modification time or size changes.
/// </summary>
internal sealed class UpstreamForwarder
{
    private readonly ClusterDnsOptions _options;
    private readonly Lock _lock = new();
    private (DateTime Modified, long Length) _stamp = (DateTime.MinValue, -1);
    private IReadOnlyList<IPEndPoint> _servers = [];

    public UpstreamForwarder(ClusterDnsOptions options)
    {
        _options = options;
    }

    /// <summary>The nameservers now in the file (minus this server's own address, which would loop).</summary>
    public IReadOnlyList<IPEndPoint> Servers()
    {
        var file = new FileInfo(_options.UpstreamResolvConf);
        (DateTime, long) stamp = file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, 0);
        lock (_lock)
        {
            if (stamp != _stamp)
            {
                _servers = file.Exists ? Parse(File.ReadAllLines(file.FullName), _options) : [];
                _stamp = stamp;
            }

            return _servers;
        }
    }

    public static IReadOnlyList<IPEndPoint> Parse(IEnumerable<string> lines, ClusterDnsOptions options)
    {
        var servers = new List<IPEndPoint>();
        foreach (string line in lines)
        {
            string[] fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && string.Equals(fields[0], "nameserver", StringComparison.Ordinal)
                && IPAddress.TryParse(fields[1].Split('%')[0], out IPAddress? address)
                && !(address.Equals(options.ListenAddress) && options.UpstreamPort == options.Port))
            {
                servers.Add(new IPEndPoint(address, options.UpstreamPort));
            }
        }

        return servers;
    }

    /// <summary>The first upstream answer to a UDP query whose id matches, or null.</summary>
    public async Task<byte[]?> ForwardUdpAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[65_535];
        foreach (IPEndPoint server in Servers())
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.UpstreamTimeout);
            try
            {
                using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(query, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                while (true)
                {
                    int length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (length >= 12 && buffer[0] == query.Span[0] && buffer[1] == query.Span[1])
                    {
                        return buffer[..length];
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This nameserver did not answer in time: the next one.
            }
            catch (SocketException)
            {
                // Refused (ICMP port unreachable) or unreachable: the next one.
            }
        }

        return null;
    }

    /// <summary>The first upstream answer to a query over TCP (2-byte length framing), or null.</summary>
    public async Task<byte[]?> ForwardTcpAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken)
    {
        foreach (IPEndPoint server in Servers())
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.UpstreamTimeout);
            try
            {
                using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
                await using var stream = new NetworkStream(socket, ownsSocket: false);
                await TcpFraming.WriteAsync(stream, query, timeout.Token).ConfigureAwait(false);
                byte[]? answer = await TcpFraming.ReadAsync(stream, timeout.Token).ConfigureAwait(false);
                if (answer is { Length: >= 12 } && answer[0] == query.Span[0] && answer[1] == query.Span[1])
                {
                    return answer;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This nameserver did not answer in time: the next one.
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                // Refused, reset or unreachable: the next one.
            }
        }

        return null;
    }
}
