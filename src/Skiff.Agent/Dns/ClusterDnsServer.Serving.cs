using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Logging;

namespace Skiff.Agent.Dns;

/// <summary>The sockets: UDP receive loops, the TCP accept loop and its connections, and forwarding.</summary>
public sealed partial class ClusterDnsServer
{
    /// <summary>A TCP connection idle this long is closed (clients open one per retry of a truncated answer).</summary>
    private static readonly TimeSpan TcpIdle = TimeSpan.FromSeconds(10);

    /// <summary>One receive outstanding at a time; cluster names are answered inline, forwarded ones on their own task.</summary>
    private async Task ReceiveUdpAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[65_535];
        var peer = new SocketAddress(socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, peer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                LogReceiveFailed(_logger, e.SocketErrorCode);
                continue;
            }

            var raw = new ArraySegment<byte>(buffer, 0, length);
            DnsMessage? query = Parse(raw);
            if (query is null)
            {
                continue;
            }

            byte[]? answer = DnsResponder.Answer(query, raw, Volatile.Read(ref _records), DnsResponder.UdpLimit(query));
            if (answer is null)
            {
                var client = new SocketAddress(peer.Family, peer.Size);
                peer.Buffer.CopyTo(client.Buffer);
                _ = ForwardUdpAsync(socket, raw.ToArray(), query, client, cancellationToken);
                continue;
            }

            try
            {
                await socket.SendToAsync(answer, SocketFlags.None, peer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                LogReceiveFailed(_logger, e.SocketErrorCode);
            }
        }
    }

    private async Task ForwardUdpAsync(Socket socket, byte[] raw, DnsMessage query, SocketAddress client, CancellationToken cancellationToken)
    {
        try
        {
            byte[] answer = await ForwardAsync(raw, query, tcp: false, cancellationToken).ConfigureAwait(false);
            await socket.SendToAsync(answer, SocketFlags.None, client, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (SocketException e)
        {
            LogReceiveFailed(_logger, e.SocketErrorCode);
        }
    }

    /// <summary>The upstream answer, or SERVFAIL when no nameserver answered (or too many forwards are in flight).</summary>
    private async Task<byte[]> ForwardAsync(byte[] raw, DnsMessage query, bool tcp, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _forwarding) > MaxForwarding)
        {
            Interlocked.Decrement(ref _forwarding);
            return DnsResponder.Fail(query, ReturnCode.ServerFailure);
        }

        try
        {
            byte[]? answer = tcp
                ? await _forwarder.ForwardTcpAsync(raw, cancellationToken).ConfigureAwait(false)
                : await _forwarder.ForwardUdpAsync(raw, cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    string name = query.Questions.Count > 0 ? query.Questions[0].Name.ToString() : "?";
                    int servers = _forwarder.Servers().Count;
                    LogUpstreamFailed(_logger, name, servers);
                }

                return DnsResponder.Fail(query, ReturnCode.ServerFailure);
            }

            return answer;
        }
        finally
        {
            Interlocked.Decrement(ref _forwarding);
        }
    }

    private async Task AcceptTcpAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                LogReceiveFailed(_logger, e.SocketErrorCode);
                continue;
            }

            _ = ServeTcpAsync(connection, cancellationToken);
        }
    }

    /// <summary>Answers queries on one connection, one after another, until the client closes it or it idles.</summary>
    private async Task ServeTcpAsync(Socket connection, CancellationToken cancellationToken)
    {
        await using var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                byte[]? raw;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(TcpIdle);
                    raw = await TcpFraming.ReadAsync(stream, idle.Token).ConfigureAwait(false);
                }

                DnsMessage? query = raw is null ? null : Parse(raw);
                if (raw is null || query is null)
                {
                    return;
                }

                byte[] answer = DnsResponder.Answer(query, raw, Volatile.Read(ref _records), ushort.MaxValue)
                    ?? await ForwardAsync(raw, query, tcp: true, cancellationToken).ConfigureAwait(false);
                await TcpFraming.WriteAsync(stream, answer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping, or the connection idled.
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            LogTcpClosed(_logger, e.Message);
        }
    }

    /// <summary>The query, or null for what is not one (a response, or bytes the library cannot parse; both are dropped).</summary>
    private DnsMessage? Parse(ArraySegment<byte> raw)
    {
        try
        {
            DnsMessage message = DnsMessage.Parse(raw);
            return message.IsQuery ? message : null;
        }
#pragma warning disable CA1031 // The library throws assorted exception types on malformed input; any of them means "drop this datagram".
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogMalformed(_logger, raw.Count, e.Message);
            return null;
        }
    }
}
