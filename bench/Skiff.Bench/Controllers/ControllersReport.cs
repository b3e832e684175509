using System.Globalization;

namespace Skiff.Bench.Controllers;

/// <summary>The <c>controllers</c> report: the figures the issue asks for, each with its ratio to the baseline of the same run.</summary>
internal static class ControllersReport
{
    // kube-controller-manager's default client rate limit (--kube-api-qps 20): a published setting, not measured here.
    private const double UpstreamDefaultQps = 20;

    public static void Write(TextWriter output, string binary, ControllersFigures f, TimeSpan total)
    {
        int replicas = ControllersBenchmark.Replicas;
        output.WriteLine($"Skiff controllers benchmark: {binary}");
        output.WriteLine($"{Environment.ProcessorCount} cores, .NET {Environment.Version}, embedded SQLite store, {total.TotalSeconds:0} s in all");
        output.WriteLine();
        output.WriteLine($"1. Baseline: {replicas} pods POSTed by the harness, {ControllersBenchmark.Clients} clients (the API server's create ceiling here)");
        var baseline = new TextTable("figure", "value");
        baseline.Add("pods/s", Number(f.Direct.PerSecond));
        baseline.Add("create p50 / p99", $"{f.Direct.Latency.Milliseconds(50):0.0} / {f.Direct.Latency.Milliseconds(99):0.0} ms");
        baseline.Write(output);
        output.WriteLine();
        output.WriteLine($"2. A {replicas}-replica Deployment through the Deployment and ReplicaSet controllers");
        var deployment = new TextTable("figure", "value", "vs baseline");
        deployment.Add("create → all pods exist", Seconds(f.AllPodsExist), "");
        deployment.Add("pods/s", Number(f.DeploymentPodsPerSecond), Ratio(f.DeploymentPodsPerSecond / f.Direct.PerSecond));
        deployment.Add("harness marks ready → available", Seconds(f.Available), "");
        deployment.Write(output);
        output.WriteLine($"   For scale: kube-controller-manager's default client limit of {UpstreamDefaultQps:0} requests/s alone would take {replicas / UpstreamDefaultQps:0} s for {replicas} creates.");
        output.WriteLine();
        output.WriteLine($"3. Rolling update of {replicas} replicas (new image; maxSurge 25%, maxUnavailable 25%), pods marked ready by the harness");
        var rollout = new TextTable("figure", "value", "vs step 2");
        rollout.Add("template change → all updated and available", Seconds(f.RollingUpdate), Ratio(f.RollingUpdate / f.AllPodsExist));
        rollout.Add("pods replaced/s", Number(f.RolloutPodsPerSecond), "");
        rollout.Add("ready patches by the harness (both steps)", Number(f.ReadyPatches), "");
        rollout.Write(output);
        output.WriteLine();
        output.WriteLine($"4. Memory with {f.TotalPods} pods in the informers (VmRSS of skiff server, restarted on the same data, 10 s idle)");
        long delta = f.RssWithControllers - f.RssWithoutControllers;
        var memory = new TextTable("figure", "value");
        memory.Add("server without controller manager", Mb(f.RssWithoutControllers));
        memory.Add("server with controller manager", Mb(f.RssWithControllers));
        memory.Add("controller manager's share", $"{Mb(delta)} ({(double)delta / f.TotalPods:0} bytes/pod)");
        memory.Add("with / without", Ratio((double)f.RssWithControllers / f.RssWithoutControllers));
        memory.Write(output);
    }

    private static string Number(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.00 's'", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => value.ToString("0.00'x'", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0 'MB'", CultureInfo.InvariantCulture);
}
