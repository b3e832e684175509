using System.Globalization;
using System.Runtime.InteropServices;
using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

/// <summary>A real node: the runtime answers over CRI (Version, Status), the machine is read from /proc and the data dir's filesystem.</summary>
public sealed class CriNodeRuntime : INodeRuntime
{
    private readonly CriClient _cri;
    private readonly string _dataDir;

    public CriNodeRuntime(CriClient cri, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(cri);
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        _cri = cri;
        _dataDir = dataDir;
    }

    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        var version = await _cri.Runtime.VersionAsync(new VersionRequest { Version = "v1" }, _cri.Options(cancellationToken)).ConfigureAwait(false);
        return version.RuntimeName + "://" + version.RuntimeVersion;
    }

    public async Task<IReadOnlyList<string>> ReadinessErrorsAsync(CancellationToken cancellationToken)
    {
        StatusResponse response;
        try
        {
            response = await _cri.Runtime.StatusAsync(new StatusRequest(), _cri.Options(cancellationToken, TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }
        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
        {
            return ["container runtime is down"];
        }

        return RuntimeErrors(response.Status);
    }

    /// <summary>Upstream's messages for a runtime whose RuntimeReady or NetworkReady condition is not true.</summary>
    public static IReadOnlyList<string> RuntimeErrors(RuntimeStatus? status)
    {
        if (status is null)
        {
            return ["container runtime status check may not have completed yet"];
        }

        var errors = new List<string>();
        Check("RuntimeReady", "container runtime not ready");
        Check("NetworkReady", "container runtime network not ready");
        return errors;

        void Check(string type, string prefix)
        {
            RuntimeCondition? condition = status.Conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null || !condition.Status)
            {
                errors.Add(condition is null
                    ? $"{prefix}: {type}=false reason: message:"
                    : $"{prefix}: {type}=false reason:{condition.Reason} message:{condition.Message}");
            }
        }
    }

    public NodeHostStats ReadHost()
    {
        Directory.CreateDirectory(_dataDir);
        var drive = new DriveInfo(_dataDir);
        Dictionary<string, long> meminfo = ReadMeminfo();
        long total = meminfo.GetValueOrDefault("MemTotal") * 1024;
        long available = meminfo.TryGetValue("MemAvailable", out long kib) ? kib * 1024 : total;
        long pidMax = long.TryParse(ReadFirstLine("/proc/sys/kernel/pid_max"), NumberStyles.None, CultureInfo.InvariantCulture, out long max) ? max : 32768;
        return new NodeHostStats(Environment.ProcessorCount, total, available, drive.TotalSize, drive.AvailableFreeSpace, pidMax, RunningPids());
    }

    public V1NodeSystemInfo SystemInfo() => new()
    {
        OperatingSystem = "linux",
        Architecture = Architecture(),
        KernelVersion = ReadFirstLine("/proc/sys/kernel/osrelease"),
        OsImage = OsImage(),
        MachineID = ReadFirstLine("/etc/machine-id"),
        SystemUUID = ReadFirstLine("/sys/class/dmi/id/product_uuid"),
        BootID = ReadFirstLine("/proc/sys/kernel/random/boot_id"),
        KubeProxyVersion = "",
    };

    /// <summary>The GOARCH-style name of this machine's architecture (amd64, arm64).</summary>
    public static string Architecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>/proc/meminfo as kB values by field name.</summary>
    internal static Dictionary<string, long> ReadMeminfo()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            // "MemAvailable:   12345678 kB"
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                values[parts[0].TrimEnd(':')] = value;
            }
        }

        return values;
    }

    // Every numeric entry of /proc is a process; threads count against pid_max too, but upstream's pid.available counts processes as well.
    private static long RunningPids()
    {
        try
        {
            return Directory.EnumerateDirectories("/proc").Count(d => Path.GetFileName(d).All(char.IsAsciiDigit));
        }
        catch (IOException)
        {
            return 0;
        }
    }

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
