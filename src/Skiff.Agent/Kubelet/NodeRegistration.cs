using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Skiff.Agent.Runtime;

namespace Skiff.Agent.Kubelet;

/// <summary>
/// This node's Node object and its Lease in kube-node-lease. <see cref="RegisterAsync"/> creates the Node (labels, addresses,
/// capacity, allocatable, conditions, nodeInfo, daemonEndpoints) and the Lease; <see cref="RunLeaseAsync"/> renews the Lease
/// every <see cref="KubeletOptions.LeaseRenewInterval"/>; <see cref="RunStatusAsync"/> recomputes the conditions every
/// <see cref="KubeletOptions.NodeStatusUpdateInterval"/> and writes nodes/status when something changed or every
/// <see cref="KubeletOptions.NodeStatusReportInterval"/>, as upstream does. What the machine and runtime look like comes from an
/// <see cref="INodeRuntime"/>, so the hollow-node simulation shares this code.
/// </summary>
public sealed partial class NodeRegistration
{
    public const string LeaseNamespace = "kube-node-lease";

    private readonly IKubernetes _client;
    private readonly INodeRuntime _runtime;
    private readonly KubeletOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private IList<V1NodeCondition>? _conditions;
    private string? _writtenSignature;
    private DateTimeOffset _writtenAt;
    private string? _runtimeVersion;

    public NodeRegistration(IKubernetes client, CriClient cri, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
        : this(client, new CriNodeRuntime(cri ?? throw new ArgumentNullException(nameof(cri)), options?.DataDir ?? ""), options!, logger, timeProvider)
    {
    }

    public NodeRegistration(IKubernetes client, INodeRuntime runtime, KubeletOptions options, ILogger logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _runtime = runtime;
        _options = options;
        _logger = logger;
        _time = timeProvider;
    }

    /// <summary>spec.podCIDR as last read from the Node, or null while none is assigned.</summary>
    public string? PodCidr { get; private set; }

    /// <summary>Creates the Node (or updates its labels when it exists), writes its status, and creates its Lease.</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken)
    {
        string name = _options.NodeName;
        _runtimeVersion = await _runtime.VersionAsync(cancellationToken).ConfigureAwait(false);
        V1Node node = await EnsureNodeAsync(_client, name, Labels(), cancellationToken).ConfigureAwait(false);
        PodCidr = node.Spec?.PodCIDR;
        _conditions = node.Status?.Conditions;
        V1NodeStatus status = await UpdateStatusAsync(force: true, cancellationToken).ConfigureAwait(false) ?? new V1NodeStatus();

        DateTime now = Seconds(_time.GetUtcNow().UtcDateTime);
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
            await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            KubeletLog.NodeRegistered(_logger, name, status.Capacity?["cpu"].ToString() ?? "", status.Capacity?["memory"].ToString() ?? "", _runtimeVersion);
        }
    }

    /// <summary>
    /// Creates Node <paramref name="name"/> with <paramref name="labels"/>, or merges the labels into the existing one (a
    /// restarted kubelet keeps its object); returns the Node as stored.
    /// </summary>
    public static async Task<V1Node> EnsureNodeAsync(IKubernetes client, string name, IDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name, Labels = labels } }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var patch = new V1Node { Metadata = new V1ObjectMeta { Labels = labels } };
            return await client.CoreV1.PatchNodeAsync(new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
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
                    await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Recomputes the node status every <see cref="KubeletOptions.NodeStatusUpdateInterval"/> until cancelled.</summary>
    public async Task RunStatusAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.NodeStatusUpdateInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await UpdateStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    Log.StatusUpdateFailed(_logger, _options.NodeName, e);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>Sets the Lease's renewTime to now.</summary>
    public async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        string now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        string patch = $$$"""{"spec":{"holderIdentity":"{{{_options.NodeName}}}","renewTime":"{{{now}}}"}}""";
        await _client.CoordinationV1.PatchNamespacedLeaseAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), _options.NodeName, LeaseNamespace,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private Dictionary<string, string> Labels() => StandardLabels(_options, _runtime.SystemInfo().Architecture);

    /// <summary>The labels a kubelet puts on its Node: hostname, os, arch (also the beta ones) and <see cref="KubeletOptions.NodeLabels"/>.</summary>
    public static Dictionary<string, string> StandardLabels(KubeletOptions options, string? architecture = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string arch = architecture ?? CriNodeRuntime.Architecture();
        return new Dictionary<string, string>(options.NodeLabels, StringComparer.Ordinal)
        {
            ["kubernetes.io/hostname"] = options.NodeName,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = arch,
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = arch,
        };
    }

    private static DateTime Seconds(DateTime utc) => new(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
