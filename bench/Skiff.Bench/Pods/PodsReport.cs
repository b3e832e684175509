using System.Globalization;

namespace Skiff.Bench.Pods;

/// <summary>The <c>pods</c> report: startup latency beside raw CRI in the same run, against the issue's targets.</summary>
internal static class PodsReport
{
    private const double RatioTarget = 1.3;
    private const double P99TargetMs = 1000;
    private const double RssTargetMb = 60;
    // Published figures, not measured here: upstream's pod startup SLO and k3s' agent footprint.
    private const double UpstreamSloMs = 5000;
    private const double K3sAgentMb = 275;

    public static void Write(TextWriter output, string binary, PodsFigures f, TimeSpan total)
    {
        output.WriteLine($"Skiff pod startup benchmark: {binary}");
        output.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, containerd + runc, busybox `sleep 3600` pods, {total.TotalSeconds:0} s in all");
        output.WriteLine("Skiff path: POST the pod → scheduler → kubelet (sandbox, container, status) → Running seen through a watch.");
        output.WriteLine("Raw CRI: RunPodSandbox + CreateContainer + StartContainer through the same CRI client, no API in between.");
        output.WriteLine();
        var table = new TextTable("case", "Skiff p50", "Skiff p99", "raw CRI p50", "raw CRI p99", "p50 ratio", "p99 ratio", "targets (≤ 1.3x, p99 ≤ 1 s)");
        Row(table, $"{PodsBenchmark.Sequential} one after another", f.SkiffSequential, f.RawSequential);
        Row(table, $"batch of {PodsBenchmark.Batch} at once", f.SkiffBatch, f.RawBatch);
        table.Write(output);
        output.WriteLine($"   Upstream's pod startup SLO is p99 ≤ {UpstreamSloMs / 1000:0} s (published, not measured here).");
        output.WriteLine();
        if (f.AgentRss is var (rss, own))
        {
            double mb = rss / 1048576.0;
            output.WriteLine($"Idle skiff agent VmRSS (containerd not counted): {mb.ToString("0.0", CultureInfo.InvariantCulture)} MB — target ≤ {RssTargetMb:0} MB {(mb <= RssTargetMb ? "PASS" : "MISS")}; published k3s agent: {K3sAgentMb:0} MB ({(mb / K3sAgentMb).ToString("0.00", CultureInfo.InvariantCulture)}x).");
            output.WriteLine($"   of which private (anonymous + shmem: heaps, JIT code): {(own / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MB; the rest are file-backed runtime and assembly pages shared through the page cache.");
        }
        else
        {
            output.WriteLine("Idle skiff agent VmRSS: not measured (no agent became Ready; see the progress output).");
        }
    }

    private static void Row(TextTable table, string name, Latency skiff, Latency raw)
    {
        double p50 = skiff.Milliseconds(50) / raw.Milliseconds(50);
        double p99 = skiff.Milliseconds(99) / raw.Milliseconds(99);
        bool pass = p50 <= RatioTarget && p99 <= RatioTarget && skiff.Milliseconds(99) <= P99TargetMs;
        table.Add(name, Ms(skiff.Milliseconds(50)), Ms(skiff.Milliseconds(99)), Ms(raw.Milliseconds(50)), Ms(raw.Milliseconds(99)), X(p50), X(p99), pass ? "PASS" : "MISS");
    }

    private static string Ms(double value) => value.ToString("0 'ms'", CultureInfo.InvariantCulture);

    private static string X(double value) => value.ToString("0.00'x'", CultureInfo.InvariantCulture);
}
