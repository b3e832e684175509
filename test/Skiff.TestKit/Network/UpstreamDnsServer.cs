using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Skiff.TestKit.Network;

/// <summary>
/// A stand-in for the outside world's DNS resolver, inside a test network namespace: a thread enters the namespace with setns(2)
/// and opens a UDP socket on port 53 there (a socket keeps the namespace it was made in), then answers A queries for the names
/// it was given and NXDOMAIN for the rest. A test double with a deliberately tiny wire format (one question, A records): the
/// resolver under test is the cluster DNS that forwards to it.
/// </summary>
public sealed partial class UpstreamDnsServer : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly IReadOnlyDictionary<string, IPAddress> _records;
    private readonly Socket _socket;
    private readonly Thread _thread;

    private UpstreamDnsServer(IReadOnlyDictionary<string, IPAddress> records, Socket socket)
    {
        _records = records;
        _socket = socket;
        _thread = new Thread(Serve) { IsBackground = true, Name = "upstream-dns" };
        _thread.Start();
    }

    /// <summary>The names asked for, in order, lower case and without the final dot.</summary>
    public IReadOnlyCollection<string> Queries => Asked;

    private ConcurrentQueue<string> Asked { get; } = new();

    /// <summary>Starts answering on <paramref name="address"/>:53 inside the namespace at <paramref name="netnsPath"/>.</summary>
    public static UpstreamDnsServer Start(string netnsPath, IPAddress address, IReadOnlyDictionary<string, IPAddress> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Socket? socket = null;
        Exception? failure = null;
        // setns(2) changes only the calling thread; this short-lived thread makes the socket and ends, the socket stays put.
        var opener = new Thread(() =>
        {
            try
            {
                using Microsoft.Win32.SafeHandles.SafeFileHandle netns = File.OpenHandle(netnsPath);
                if (SetNs((int)netns.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({netnsPath}) failed with errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(address, 53));
            }
            catch (Exception e) when (e is InvalidOperationException or SocketException or IOException)
            {
                socket?.Dispose();
                failure = e;
            }
        });
        opener.Start();
        opener.Join();
        if (failure is not null || socket is null)
        {
            throw new InvalidOperationException($"no DNS socket on {address}:53 in {netnsPath}", failure);
        }

        var lowered = records.ToDictionary(r => r.Key.TrimEnd('.').ToLowerInvariant(), r => r.Value, StringComparer.Ordinal);
        return new UpstreamDnsServer(lowered, socket);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Serve()
    {
        byte[] buffer = new byte[512];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Answer(buffer.AsSpan(0, length)) is { } reply)
            {
                try
                {
                    _socket.SendTo(reply, from);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> query)
    {
        if (query.Length < 17 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }

        var name = new StringBuilder();
        int at = 12;
        while (at < query.Length && query[at] != 0)
        {
            int label = query[at];
            if (label > 63 || at + 1 + label > query.Length)
            {
                return null;
            }

            name.Append(name.Length > 0 ? "." : "").Append(Encoding.ASCII.GetString(query.Slice(at + 1, label)));
            at += 1 + label;
        }

        int questionEnd = at + 5;
        if (questionEnd > query.Length)
        {
            return null;
        }

        string asked = name.ToString().ToLowerInvariant();
        Asked.Enqueue(asked);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(query[(at + 1)..]);
        bool known = _records.TryGetValue(asked, out IPAddress? address);
        IPAddress? answer = type == 1 ? address : null;
        bool answers = answer is not null;
        byte[] reply = new byte[questionEnd + (answers ? 16 : 0)];
        query[..questionEnd].CopyTo(reply);
        // QR, the query's RD, RA; NXDOMAIN for an unknown name, an empty NOERROR for a known name's other types.
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), (ushort)(0x8080 | (query[2] & 0x01) << 8 | (known ? 0 : 3)));
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), (ushort)(answers ? 1 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), 0);
        if (answers)
        {
            Span<byte> record = reply.AsSpan(questionEnd);
            BinaryPrimitives.WriteUInt16BigEndian(record, 0xC00C); // the question's name
            BinaryPrimitives.WriteUInt16BigEndian(record[2..], 1); // A
            BinaryPrimitives.WriteUInt16BigEndian(record[4..], 1); // IN
            BinaryPrimitives.WriteUInt32BigEndian(record[6..], 30);
            BinaryPrimitives.WriteUInt16BigEndian(record[10..], 4);
            answer?.GetAddressBytes().CopyTo(record[12..]);
        }

        return reply;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNs(int fd, int nstype);
}
