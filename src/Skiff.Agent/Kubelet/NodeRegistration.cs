using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// This node's Node object (capacity from the host, a Ready condition, nodeInfo with the runtime's version) and its Lease in
/// kube-node-lease, renewed every <see cref="KubeletOptions.LeaseRenewInterval"/>.
/// </summary>
public sealed class NodeRegistration
{
    public const string LeaseNamespace = "kube-node-lease";

    private readonly IKubernetes _client;
    private readonly CriClient _cri;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public NodeRegistration(IKubernetes client, CriClient cri, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _cri = cri;
        _options = options;
        _logger = logger;
        _time = timeProvider;
    }

    /// <summary>Creates the Node (or updates its labels and addresses when it exists), writes its status, and creates its Lease.</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var version = await _cri.Runtime.VersionAsync(new VersionRequest { Version = "v1" }, _cri.Options(cancellationToken)).ConfigureAwait(false);
        string runtime = version.RuntimeName + "://" + version.RuntimeVersion;
        string name = _options.NodeName;
        var labels = new Dictionary<string, string>
        {
            ["kubernetes.io/hostname"] = name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = Architecture(),
        };
        try
        {
            await _client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = labels } }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Registered before (a restarted kubelet): keep the object, refresh the labels this kubelet owns.
            var patch = new V1Node { Metadata = new V1ObjectMeta { Labels = labels } };
            await _client.CoreV1.PatchNodeAsync(new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }

        var capacity = Capacity();
        DateTime now = Seconds(_time.GetUtcNow().UtcDateTime);
        V1NodeCondition Condition(string type, string status, string reason, string message) =>
            new() { Type = type, Status = status, Reason = reason, Message = message, LastHeartbeatTime = now, LastTransitionTime = now };
        var status = new V1Node
        {
            Status = new V1NodeStatus
            {
                Capacity = capacity,
                Allocatable = capacity,
                Conditions =
                [
                    Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                Addresses =
                [
                    new V1NodeAddress { Type = "InternalIP", Address = _options.InternalIp },
                    new V1NodeAddress { Type = "Hostname", Address = _options.Hostname ?? name },
                ],
                // Where the API server reaches this kubelet's HTTPS server (logs, exec, attach, port-forward).
                DaemonEndpoints = _options.ServerPort is { } port ? new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = port } } : null,
                NodeInfo = new V1NodeSystemInfo
                {
                    KubeletVersion = _options.KubeletVersion,
                    KubeProxyVersion = "",
                    ContainerRuntimeVersion = runtime,
                    OperatingSystem = "linux",
                    Architecture = Architecture(),
                    KernelVersion = ReadFirstLine("/proc/sys/kernel/osrelease"),
                    OsImage = OsImage(),
                    MachineID = ReadFirstLine("/etc/machine-id"),
                    SystemUUID = ReadFirstLine("/sys/class/dmi/id/product_uuid"),
                    BootID = ReadFirstLine("/proc/sys/kernel/random/boot_id"),
                },
            },
        };
        await _client.CoreV1.PatchNodeStatusAsync(new V1Patch(KubernetesJson.Serialize(status), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

        var lease = new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = LeaseNamespace },
            Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = _options.LeaseDurationSeconds, RenewTime = now },
        };
        try
        {
            await _client.CoordinationV1.CreateNamespacedLeaseAsync(lease, LeaseNamespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            await RenewAsync(cancellationToken).ConfigureAwait(false);
        }

        KubeletLog.NodeRegistered(_logger, name, capacity["cpu"].ToString(), capacity["memory"].ToString(), runtime);
    }

    /// <summary>Renews the Lease every <see cref="KubeletOptions.LeaseRenewInterval"/> until cancelled; a failed renewal is retried on the next tick.</summary>
    public async Task RunLeaseAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseRenewInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RenewAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException)
                {
                    KubeletLog.LeaseRenewFailed(_logger, _options.NodeName, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        string now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        string patch = $$$"""{"spec":{"holderIdentity":"{{{_options.NodeName}}}","renewTime":"{{{now}}}"}}""";
        await _client.CoordinationV1.PatchNamespacedLeaseAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), _options.NodeName, LeaseNamespace,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>cpu from the processor count, memory from /proc/meminfo, ephemeral-storage from the data dir's filesystem, pods.</summary>
    private Dictionary<string, ResourceQuantity> Capacity()
    {
        Directory.CreateDirectory(_options.DataDir);
        long storage = new DriveInfo(_options.DataDir).TotalSize;
        return new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new(MemTotalKib().ToString(CultureInfo.InvariantCulture) + "Ki"),
            ["ephemeral-storage"] = new(storage.ToString(CultureInfo.InvariantCulture)),
            ["pods"] = new(_options.MaxPods.ToString(CultureInfo.InvariantCulture)),
        };
    }

    private static DateTime Seconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static long MemTotalKib()
    {
        // "MemTotal:       16384000 kB"
        string line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static string Architecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    private static string OsImage()
    {
        const string key = "PRETTY_NAME=";
        string? line = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) : null;
        return line is null ? "Linux" : line[key.Length..].Trim('"');
    }

    private static string ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() ?? "" : "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
