using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Server;

public sealed partial class KubeletServer
{
    /// <summary><c>/metrics</c>: the kubelet's own metrics (running pods and containers, node name, .NET process stats).</summary>
    private async Task ServeMetricsAsync(HttpContext context)
    {
        var sandboxes = await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), _cri.Options(context.RequestAborted)).ConfigureAwait(false);
        var containers = await _cri.Runtime.ListContainersAsync(new ListContainersRequest(), _cri.Options(context.RequestAborted)).ConfigureAwait(false);
        _runningPods.Set(sandboxes.Items.Count(s => s.State == PodSandboxState.SandboxReady));
        foreach ((ContainerState state, string label) in new[]
                 {
                     (ContainerState.ContainerRunning, "running"), (ContainerState.ContainerExited, "exited"),
                     (ContainerState.ContainerCreated, "created"), (ContainerState.ContainerUnknown, "unknown"),
                 })
        {
            _runningContainers.WithLabels(label).Set(containers.Containers.Count(c => c.State == state));
        }

        _nodeName.WithLabels(_options.NodeName).Set(1);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await _registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>/metrics/cadvisor</c>: per-container CPU and memory from CRI ListContainerStats, labelled container, pod and namespace.</summary>
    private async Task ServeCadvisorAsync(HttpContext context)
    {
        IReadOnlyList<ContainerSample> samples = await SampleContainersAsync(context.RequestAborted).ConfigureAwait(false);
        var text = new StringBuilder();
        void Family(string name, string type, string help, Func<ContainerSample, double?> value)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (ContainerSample sample in samples)
            {
                if (value(sample) is not { } v)
                {
                    continue;
                }

                text.Append(name).Append("{container=\"").Append(Escape(sample.Container)).Append("\",id=\"").Append(Escape(sample.ContainerId))
                    .Append("\",image=\"").Append(Escape(sample.Image)).Append("\",name=\"").Append(Escape(sample.ContainerId))
                    .Append("\",namespace=\"").Append(Escape(sample.Namespace)).Append("\",pod=\"").Append(Escape(sample.Pod)).Append("\"} ")
                    .Append(v.ToString("R", CultureInfo.InvariantCulture)).Append(' ')
                    .Append((sample.TimestampNanoseconds / 1_000_000).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        Family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.",
            s => s.Stats.Cpu?.UsageCoreNanoSeconds is { } cpu ? cpu.Value / 1e9 : null);
        Family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.",
            s => s.Stats.Memory?.WorkingSetBytes is { } memory ? memory.Value : null);
        Family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed.",
            s => s.Stats.Memory?.UsageBytes is { } memory ? memory.Value : null);
        Family("container_memory_rss", "gauge", "Size of RSS in bytes.",
            s => s.Stats.Memory?.RssBytes is { } memory ? memory.Value : null);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>/stats/summary</c>: upstream's Summary API shape (node and per-pod, per-container CPU, memory and filesystem).</summary>
    private async Task ServeSummaryAsync(HttpContext context)
    {
        IReadOnlyList<ContainerSample> samples = await SampleContainersAsync(context.RequestAborted).ConfigureAwait(false);
        DateTimeOffset now = _time.GetUtcNow();
        var pods = new JsonArray();
        foreach (IGrouping<string, ContainerSample> pod in samples.GroupBy(s => s.PodUid))
        {
            ContainerSample first = pod.First();
            var containers = new JsonArray();
            ulong cpuNanoCores = 0, cpuTotal = 0, workingSet = 0, usage = 0, rss = 0;
            foreach (ContainerSample sample in pod)
            {
                ContainerStats stats = sample.Stats;
                cpuNanoCores += stats.Cpu?.UsageNanoCores?.Value ?? 0;
                cpuTotal += stats.Cpu?.UsageCoreNanoSeconds?.Value ?? 0;
                workingSet += stats.Memory?.WorkingSetBytes?.Value ?? 0;
                usage += stats.Memory?.UsageBytes?.Value ?? 0;
                rss += stats.Memory?.RssBytes?.Value ?? 0;
                var container = new JsonObject
                {
                    ["name"] = sample.Container,
                    ["cpu"] = Cpu(Time(stats.Cpu?.Timestamp), stats.Cpu?.UsageNanoCores?.Value, stats.Cpu?.UsageCoreNanoSeconds?.Value),
                    ["memory"] = Memory(Time(stats.Memory?.Timestamp), stats.Memory?.WorkingSetBytes?.Value, null, stats.Memory?.UsageBytes?.Value,
                        stats.Memory?.RssBytes?.Value, stats.Memory?.PageFaults?.Value, stats.Memory?.MajorPageFaults?.Value),
                };
                if (sample.StartedAtNanoseconds > 0)
                {
                    container["startTime"] = Time(sample.StartedAtNanoseconds);
                }

                if (stats.WritableLayer is { } layer)
                {
                    container["rootfs"] = new JsonObject
                    {
                        ["time"] = Time(layer.Timestamp),
                        ["usedBytes"] = layer.UsedBytes?.Value ?? 0,
                        ["inodesUsed"] = layer.InodesUsed?.Value ?? 0,
                    };
                }

                containers.Add(container);
            }

            string at = Rfc3339(now);
            pods.Add(new JsonObject
            {
                ["podRef"] = new JsonObject { ["name"] = first.Pod, ["namespace"] = first.Namespace, ["uid"] = first.PodUid },
                ["startTime"] = first.SandboxCreatedNanoseconds > 0 ? Time(first.SandboxCreatedNanoseconds) : at,
                ["containers"] = containers,
                ["cpu"] = Cpu(at, cpuNanoCores, cpuTotal),
                ["memory"] = Memory(at, workingSet, null, usage, rss, null, null),
            });
        }

        var summary = new JsonObject
        {
            ["node"] = NodeSummary(now),
            ["pods"] = pods,
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(summary.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The node: CPU from /proc/stat (usageNanoCores over the time since the previous summary), memory from /proc/meminfo, fs of the data dir.</summary>
    private JsonObject NodeSummary(DateTimeOffset now)
    {
        string at = Rfc3339(now);
        ulong cpuNanoseconds = HostStats.CpuUsageNanoseconds();
        ulong? nanoCores = null;
        lock (_cpuLock)
        {
            if (_lastNodeCpu is { } last && now > last.At && cpuNanoseconds >= last.UsageNanoseconds)
            {
                nanoCores = (ulong)((cpuNanoseconds - last.UsageNanoseconds) / (now - last.At).TotalSeconds);
            }

            _lastNodeCpu = (now, cpuNanoseconds);
        }

        HostMemory memory = HostStats.Memory();
        Directory.CreateDirectory(_options.DataDir);
        var drive = new DriveInfo(_options.DataDir);
        return new JsonObject
        {
            ["nodeName"] = _options.NodeName,
            ["startTime"] = Rfc3339(now - TimeSpan.FromMilliseconds(Environment.TickCount64)),
            ["cpu"] = Cpu(at, nanoCores, cpuNanoseconds),
            ["memory"] = Memory(at, memory.WorkingSetBytes, memory.AvailableBytes, memory.UsageBytes, memory.RssBytes, null, null),
            ["fs"] = new JsonObject
            {
                ["time"] = at,
                ["availableBytes"] = drive.AvailableFreeSpace,
                ["capacityBytes"] = drive.TotalSize,
                ["usedBytes"] = drive.TotalSize - drive.TotalFreeSpace,
            },
        };
    }

    private static JsonObject Cpu(string time, ulong? nanoCores, ulong? coreNanoSeconds)
    {
        var cpu = new JsonObject { ["time"] = time };
        if (nanoCores is { } cores)
        {
            cpu["usageNanoCores"] = cores;
        }

        if (coreNanoSeconds is { } total)
        {
            cpu["usageCoreNanoSeconds"] = total;
        }

        return cpu;
    }

    private static JsonObject Memory(string time, ulong? workingSet, ulong? available, ulong? usage, ulong? rss, ulong? pageFaults, ulong? majorPageFaults)
    {
        var memory = new JsonObject { ["time"] = time };
        void Add(string name, ulong? value)
        {
            if (value is { } v)
            {
                memory[name] = v;
            }
        }

        Add("availableBytes", available);
        Add("usageBytes", usage);
        Add("workingSetBytes", workingSet);
        Add("rssBytes", rss);
        Add("pageFaults", pageFaults);
        Add("majorPageFaults", majorPageFaults);
        return memory;
    }

    /// <summary>Every container's stats joined with its sandbox's pod metadata (no labels needed) and its start time.</summary>
    private async Task<IReadOnlyList<ContainerSample>> SampleContainersAsync(CancellationToken cancellationToken)
    {
        var stats = await _cri.Runtime.ListContainerStatsAsync(new ListContainerStatsRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false);
        var containers = (await _cri.Runtime.ListContainersAsync(new ListContainersRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false))
            .Containers.ToDictionary(c => c.Id);
        var sandboxes = (await _cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), _cri.Options(cancellationToken)).ConfigureAwait(false))
            .Items.ToDictionary(s => s.Id);
        var samples = new List<ContainerSample>();
        foreach (ContainerStats stat in stats.Stats)
        {
            string id = stat.Attributes?.Id ?? "";
            if (!containers.TryGetValue(id, out Container? container) || container.State != ContainerState.ContainerRunning
                || !sandboxes.TryGetValue(container.PodSandboxId, out PodSandbox? sandbox))
            {
                continue;
            }

            long timestamp = stat.Memory?.Timestamp ?? stat.Cpu?.Timestamp ?? 0;
            samples.Add(new ContainerSample(
                id, container.Metadata?.Name ?? "", container.Image?.Image ?? container.ImageRef ?? "",
                sandbox.Metadata?.Name ?? "", sandbox.Metadata?.Namespace ?? "", sandbox.Metadata?.Uid ?? "",
                timestamp > 0 ? timestamp : _time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000, container.CreatedAt, sandbox.CreatedAt, stat));
        }

        return samples;
    }

    private string Time(long? nanoseconds) =>
        Rfc3339(nanoseconds is > 0 and var n ? DateTimeOffset.UnixEpoch.AddTicks(n / 100) : _time.GetUtcNow());

    private static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>One running container's CRI stats with the pod it belongs to.</summary>
    private sealed record ContainerSample(
        string ContainerId, string Container, string Image, string Pod, string Namespace, string PodUid,
        long TimestampNanoseconds, long StartedAtNanoseconds, long SandboxCreatedNanoseconds, ContainerStats Stats);
}
