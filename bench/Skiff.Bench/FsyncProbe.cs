using System.Diagnostics;

namespace Skiff.Bench;

/// <summary>
/// The disk's ceiling for serial durable commits: one 4 KiB write followed by fsync, again and again, in a file on the same
/// filesystem as the stores under test. No store that acknowledges each commit only after fsync can commit serially faster.
/// </summary>
internal static class FsyncProbe
{
    private const int BlockSize = 4096;

    // Blocks are overwritten in a ring that was written and synced beforehand, as SQLite's WAL and etcd's preallocated WAL
    // segments are, so each fsync carries data only and not a file-size change.
    private const int RingBlocks = 1024;

    public static Throughput Measure(string directory, TimeSpan duration, CancellationToken cancellationToken)
    {
        string path = Path.Combine(directory, "fsync-probe");
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.DeleteOnClose);
        byte[] block = new byte[BlockSize];
        block.AsSpan().Fill((byte)'s');
        for (int i = 0; i < RingBlocks; i++)
        {
            RandomAccess.Write(stream.SafeFileHandle, block, (long)i * BlockSize);
        }

        stream.Flush(flushToDisk: true);

        var latency = new Latency();
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (long i = 0; Stopwatch.GetTimestamp() < deadline; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long start = Stopwatch.GetTimestamp();
            RandomAccess.Write(stream.SafeFileHandle, block, i % RingBlocks * BlockSize);
            stream.Flush(flushToDisk: true);
            latency.RecordSince(start);
        }

        return new Throughput(latency.Count, Stopwatch.GetElapsedTime(started), latency);
    }
}
