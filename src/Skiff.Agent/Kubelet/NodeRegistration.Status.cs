using System.Globalization;
using k8s;
using k8s.Models;

namespace Skiff.Agent.Kubelet;

public sealed partial class NodeRegistration
{
    /// <summary>
    /// Recomputes capacity, allocatable and the conditions, and writes nodes/status when <paramref name="force"/>, when anything
    /// but the heartbeat changed, or when the last write is older than <see cref="KubeletOptions.NodeStatusReportInterval"/>.
    /// Returns the status written, or null when nothing was written.
    /// </summary>
    public async Task<V1NodeStatus?> UpdateStatusAsync(bool force, CancellationToken cancellationToken)
    {
        _runtimeVersion ??= await _runtime.VersionAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> runtimeErrors = await _runtime.ReadinessErrorsAsync(cancellationToken).ConfigureAwait(false);
        NodeHostStats host = _runtime.ReadHost();
        DateTimeOffset now = _time.GetUtcNow();
        IList<V1NodeCondition> conditions = NodeConditions.Compute(host, _options.EvictionHard, runtimeErrors, _conditions, Seconds(now.UtcDateTime));
        _conditions = conditions;

        var capacity = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal)
        {
            ["cpu"] = new(host.Cpu.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new((host.MemoryTotal / 1024).ToString(CultureInfo.InvariantCulture) + "Ki"),
            ["ephemeral-storage"] = new(host.FsTotal.ToString(CultureInfo.InvariantCulture)),
            ["pods"] = new(_options.MaxPods.ToString(CultureInfo.InvariantCulture)),
        };
        V1NodeSystemInfo info = _runtime.SystemInfo();
        info.KubeletVersion = _options.KubeletVersion;
        info.ContainerRuntimeVersion = _runtimeVersion;
        info.KubeProxyVersion ??= "";
        var status = new V1NodeStatus
        {
            Capacity = capacity,
            Allocatable = ResourceReservations.Allocatable(capacity, _options.KubeReserved, _options.SystemReserved, _options.EvictionHard),
            Conditions = conditions,
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = _options.InternalIp },
                new V1NodeAddress { Type = "Hostname", Address = _options.Hostname ?? _options.NodeName },
            ],
            DaemonEndpoints = _options.ServerPort is { } port ? new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = port } } : null,
            NodeInfo = info,
        };

        string signature = Signature(status);
        if (!force && signature == _writtenSignature && now - _writtenAt < _options.NodeStatusReportInterval)
        {
            return null;
        }

        await _client.CoreV1.PatchNodeStatusAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Node { Status = status }), V1Patch.PatchType.MergePatch), _options.NodeName, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (_writtenSignature is not null && signature != _writtenSignature)
        {
            Log.StatusChanged(_logger, _options.NodeName, ConditionSummary(conditions));
        }

        _writtenSignature = signature;
        _writtenAt = now;
        return status;
    }

    // Everything but the heartbeat: a write is due when this changes.
    private static string Signature(V1NodeStatus status)
    {
        var copy = new V1NodeStatus
        {
            Capacity = status.Capacity,
            Allocatable = status.Allocatable,
            Addresses = status.Addresses,
            DaemonEndpoints = status.DaemonEndpoints,
            NodeInfo = status.NodeInfo,
            Conditions = [.. status.Conditions.Select(c => new V1NodeCondition { Type = c.Type, Status = c.Status, Reason = c.Reason, Message = c.Message })],
        };
        return KubernetesJson.Serialize(copy);
    }

    private static string ConditionSummary(IEnumerable<V1NodeCondition> conditions) =>
        string.Join(", ", conditions.Select(c => c.Type + "=" + c.Status));
}
