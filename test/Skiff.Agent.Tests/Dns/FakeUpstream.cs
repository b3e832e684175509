using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Skiff.Agent.Dns;

namespace Skiff.Agent.Tests.Dns;

/// <summary>
/// A test double for an upstream nameserver (labelled: it is a fake, on its own loopback address and a free port): answers every
/// A question over UDP and TCP with one fixed address, so a test sees which upstream answered.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private int _queries;

    /// <param name="answer">The address every A question gets.</param>
    /// <param name="port">0 for a free port; else the port (two upstreams share one port, as resolv.conf has no ports).</param>
    public FakeUpstream(IPAddress answer, int port)
    {
        Answer = answer;
        _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(DnsTestClient.RandomLoopback(), port));
        EndPoint = (IPEndPoint)_udp.LocalEndPoint!;
        _tcp = new TcpListener(EndPoint);
        _tcp.Start();
        _serving = Task.WhenAll(ServeUdpAsync(_stop.Token), ServeTcpAsync(_stop.Token));
    }

    public IPAddress Answer { get; }

    public IPEndPoint EndPoint { get; }

    public int Queries => Volatile.Read(ref _queries);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private byte[] Respond(byte[] raw)
    {
        Interlocked.Increment(ref _queries);
        DnsMessage query = DnsMessage.Parse(raw);
        DnsMessage response = query.CreateResponseInstance();
        response.IsRecursionAllowed = true;
        if (query.Questions[0].RecordType == RecordType.A)
        {
            response.AnswerRecords.Add(new ARecord(query.Questions[0].Name, 60, Answer));
        }

        return DnsMessageEncoding.Encode(response).ToArray();
    }

    private async Task ServeUdpAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[65_535];
        var peer = new SocketAddress(AddressFamily.InterNetwork);
        while (!cancellationToken.IsCancellationRequested)
        {
            int length = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, peer, cancellationToken);
            await _udp.SendToAsync(Respond(buffer[..length]), SocketFlags.None, peer, cancellationToken);
        }
    }

    private async Task ServeTcpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using TcpClient client = await _tcp.AcceptTcpClientAsync(cancellationToken);
            NetworkStream stream = client.GetStream();
            if (await TcpFraming.ReadAsync(stream, cancellationToken) is { } raw)
            {
                await TcpFraming.WriteAsync(stream, Respond(raw), cancellationToken);
            }
        }
    }
}
