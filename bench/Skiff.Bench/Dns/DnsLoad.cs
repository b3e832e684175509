using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Skiff.Bench.Dns;

/// <summary>What one load run measured: answers, wall time, latencies, and the CPU the client threads themselves used.</summary>
internal sealed record DnsLoadResult(long Answers, long Lost, TimeSpan Wall, Latency Latency, TimeSpan ClientCpu);

/// <summary>
/// The load generator: a few client threads (dedicated threads, blocking sockets, so each can read its own CPU time), each with
/// its own UDP socket and a window of queries in flight; every answer sends the next query. Queries are encoded once; only the
/// transaction id changes per send.
/// </summary>
internal static class DnsLoad
{
    public static DnsLoadResult Run(IPEndPoint server, IReadOnlyList<byte[]> queries, int threads, int window, TimeSpan duration)
    {
        var results = new (long Answers, long Lost, Latency Latency, TimeSpan Cpu)[threads];
        using var start = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() => results[index] = Client(server, queries, index, window, duration, start)) { IsBackground = true, Name = "dns-load-" + t };
            workers[t].Start();
        }

        start.SignalAndWait();
        long began = Stopwatch.GetTimestamp();
        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        return new DnsLoadResult(
            results.Sum(r => r.Answers), results.Sum(r => r.Lost), Stopwatch.GetElapsedTime(began),
            Latency.Merge(results.Select(r => r.Latency)), TimeSpan.FromTicks(results.Sum(r => r.Cpu.Ticks)));
    }

    private static (long, long, Latency, TimeSpan) Client(IPEndPoint server, IReadOnlyList<byte[]> queries, int index, int window, TimeSpan duration, Barrier start)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(server);
        socket.ReceiveTimeout = 1000;
        var latency = new Latency();
        long[] sentAt = new long[65_536];
        byte[] buffer = new byte[65_535];
        byte[] scratch = new byte[512];
        int next = index * 7919;
        ushort id = (ushort)(index * 4096);
        long answers = 0;
        long lost = 0;

        void Send()
        {
            byte[] query = queries[next++ % queries.Count];
            query.CopyTo(scratch, 0);
            id++;
            scratch[0] = (byte)(id >> 8);
            scratch[1] = (byte)id;
            sentAt[id] = Stopwatch.GetTimestamp();
            socket.Send(scratch, 0, query.Length, SocketFlags.None);
        }

        start.SignalAndWait();
        TimeSpan cpuStart = ThreadCpu();
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int i = 0; i < window; i++)
        {
            Send();
        }

        while (Stopwatch.GetTimestamp() < end)
        {
            int length;
            try
            {
                length = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // A datagram was dropped somewhere: refill the window.
                lost += window;
                for (int i = 0; i < window; i++)
                {
                    Send();
                }

                continue;
            }

            if (length >= 12)
            {
                latency.RecordSince(sentAt[(buffer[0] << 8) | buffer[1]]);
                answers++;
            }

            Send();
        }

        return (answers, lost, latency, ThreadCpu() - cpuStart);
    }

    /// <summary>This thread's user + system CPU time from /proc/thread-self/stat (fields 14 and 15, in clock ticks of 10 ms).</summary>
    private static TimeSpan ThreadCpu()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
