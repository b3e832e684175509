using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Skiff.Agent.Dns;

namespace Skiff.Agent.Tests.Dns;

/// <summary>A stub resolver for the tests: one query over UDP or TCP to a given endpoint, encoded and parsed by ARSoft.Tools.Net.</summary>
internal static class DnsTestClient
{
    public static DnsMessage Query(string name, RecordType type, ushort id = 0x1234, bool edns = false)
    {
        var query = new DnsMessage { TransactionID = id, IsRecursionDesired = true, IsEDnsEnabled = edns };
        query.Questions.Add(new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        return query;
    }

    public static byte[] Encode(string name, RecordType type, ushort id = 0x1234, bool edns = false) =>
        DnsMessageEncoding.Encode(Query(name, type, id, edns)).ToArray();

    public static async Task<DnsMessage> UdpAsync(IPEndPoint server, string name, RecordType type, CancellationToken cancellationToken, bool edns = false)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken);
        byte[] buffer = new byte[65_535];
        // A datagram may be lost on a busy host: three tries of 2 s each.
        for (int attempt = 0; ; attempt++)
        {
            ushort id = (ushort)(0x1000 + attempt);
            await socket.SendAsync(Encode(name, type, id, edns), SocketFlags.None, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(attempt < 2 ? 2 : 10));
            try
            {
                while (true)
                {
                    int length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    DnsMessage response = DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, length));
                    if (response.TransactionID == id)
                    {
                        return response;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < 2)
            {
            }
        }
    }

    public static async Task<DnsMessage> TcpAsync(IPEndPoint server, string name, RecordType type, CancellationToken cancellationToken)
    {
        using var client = new TcpClient(server.AddressFamily);
        await client.ConnectAsync(server, cancellationToken);
        NetworkStream stream = client.GetStream();
        await TcpFraming.WriteAsync(stream, Encode(name, type), cancellationToken);
        byte[] answer = await TcpFraming.ReadAsync(stream, cancellationToken) ?? throw new IOException("The server closed the connection without answering.");
        return DnsMessage.Parse(answer);
    }

    /// <summary>A loopback address of its own (127.x.y.z) so parallel tests never share one.</summary>
    public static IPAddress RandomLoopback()
    {
        byte[] bytes = Guid.NewGuid().ToByteArray();
        return new IPAddress([127, (byte)(bytes[0] % 200 + 20), bytes[1], (byte)(bytes[2] % 250 + 2)]);
    }
}
