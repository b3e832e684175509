using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Dns;
using Skiff.Agent.Network;
using Skiff.Agent.NetworkPolicy;
using Skiff.Agent.Proxy;
using Skiff.Agent.Runtime;
using Skiff.Commands;
using Skiff.Machinery.Cluster;

namespace Skiff.Hosting;

/// <summary>
/// The node agent inside <c>skiff server</c> and <c>skiff agent</c>: once its credentials exist it registers the Node, waits
/// (bounded) for the IPAM controller's spec.podCIDR, runs containerd with a CNI config for that subnet (or uses
/// <c>--container-runtime-endpoint</c>), then the kubelet. On stop the kubelet ends first, then containerd, by PID, and only
/// when this agent started it; pods keep running either way (k3s' behaviour).
/// </summary>
internal sealed partial class NodeAgentService : BackgroundService
{
    private readonly NodeAgentSetup _setup;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<NodeAgentService> _logger;
    private readonly IHostApplicationLifetime _lifetime;

    public NodeAgentService(NodeAgentSetup setup, ILoggerFactory loggerFactory, TimeProvider timeProvider, IHostApplicationLifetime lifetime)
    {
        _lifetime = lifetime;
        _setup = setup;
        _loggerFactory = loggerFactory;
        _time = timeProvider;
        _logger = loggerFactory.CreateLogger<NodeAgentService>();
    }

    protected override async Task ExecuteAsync(CancellationToken serviceStopping)
    {
        // Stop as soon as shutdown begins, not when the host reaches this service: the web server's graceful stop waits for
        // open watches (the kubelet's among them) and would hold the kubelet until the shutdown timeout.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(serviceStopping, _lifetime.ApplicationStopping);
        CancellationToken stoppingToken = stopping.Token;
        NodeAgentCredentials credentials;
        try
        {
            credentials = await _setup.CredentialsAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var client = new Kubernetes(credentials.Client);
        IPAddress nodeIp = NodeAddresses.NodeIp(_setup.Settings);
        KubeletOptions kubeletOptions = new()
        {
            NodeName = _setup.NodeName,
            InternalIp = nodeIp.ToString(),
            DataDir = _setup.DataDirectory.KubeletDirectory,
            ServerPort = _setup.Settings.KubeletPort,
            ServingCertificate = credentials.ServingCertificate,
            ClientCa = credentials.ClientCa,
            RegistriesFile = _setup.Settings.RegistriesFile,
            KubeReserved = _setup.Settings.KubeReserved,
            SystemReserved = _setup.Settings.SystemReserved,
            EvictionHard = _setup.Settings.EvictionHard,
            NodeLabels = _setup.Labels,
        };

        string? podCidr = await PodCidrAsync(client, kubeletOptions, stoppingToken);
        if (podCidr is null)
        {
            return;
        }

        ClusterNetwork cluster;
        try
        {
            cluster = await ClusterNetwork.ReadAsync(client, _time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (FormatException e)
        {
            // A hand-edited kube-system/skiff-cluster: say which key, and run no node rather than a wrongly networked one.
            LogClusterNetworkInvalid(_logger, e.Message);
            return;
        }

        NodeSettings settings = _setup.Settings;
        kubeletOptions = kubeletOptions with
        {
            ClusterDns = cluster.ClusterDns.ToString(),
            ClusterDomain = cluster.ClusterDomain,
            ResolvConf = settings.ResolvConf,
        };
        string bridge = NodeAddresses.BridgeName(_setup.DataDirectory.ContainerdDirectory);
        var podNetwork = new PodNetwork(client, new PodNetworkOptions
        {
            NodeName = _setup.NodeName,
            NodeIp = nodeIp,
            PodCidr = IPNetwork.Parse(podCidr),
            ClusterCidr = cluster.ClusterCidr,
            BridgeName = bridge,
            Backend = settings.FlannelBackend,
        }, _loggerFactory, _time);

        ContainerdSupervisor? containerd = null;
        CriClient? external = null;
        try
        {
            await podNetwork.PrepareAsync(stoppingToken);
            CriClient cri;
            if (settings.ContainerRuntimeEndpoint is { } endpoint)
            {
                external = CriClient.Connect(endpoint);
                cri = external;
                LogExternalRuntime(_logger, endpoint);
            }
            else
            {
                string directory = _setup.DataDirectory.ContainerdDirectory;
                var containerdOptions = new ContainerdOptions
                {
                    DataDir = directory,
                    BridgeName = bridge,
                    PodSubnet = podCidr,
                    RegistriesFile = settings.RegistriesFile,
                    StopTimeout = TimeSpan.FromSeconds(5),
                    Mtu = podNetwork.PodMtu,
                };
                containerd = await ContainerdSupervisor.StartAsync(containerdOptions, _loggerFactory, _time, stoppingToken);
                cri = containerd.Client;
                LogRuntimeReady(_logger, containerd.Pid, containerd.Adopted, podCidr, containerdOptions.BridgeName);
            }

            var kubelet = new Kubelet(client, cri, kubeletOptions, _loggerFactory, _time);
            LogKubeletStarting(_logger, _setup.NodeName, kubeletOptions.InternalIp);
            List<Task> parts =
            [
                kubelet.RunAsync(stoppingToken),
                NodeComponent.RunAsync("pod network", podNetwork.RunAsync, _logger, _time, stoppingToken),
            ];
            if (!settings.DisableKubeProxy)
            {
                var proxy = new ServiceProxy(client, new ServiceProxyOptions { NodeName = _setup.NodeName, ClusterCidr = cluster.ClusterCidr }, _loggerFactory, _time);
                parts.Add(NodeComponent.RunAsync("service proxy", proxy.RunAsync, _logger, _time, stoppingToken));
            }

            if (!settings.DisableNetworkPolicy)
            {
                var policies = new NetworkPolicyAgent(client, new NetworkPolicyOptions { NodeName = _setup.NodeName }, _loggerFactory, _time);
                parts.Add(NodeComponent.RunAsync("network policy", policies.RunAsync, _logger, _time, stoppingToken));
            }

            parts.Add(RunClusterDnsAsync(client, podNetwork.Options.Gateway, cluster, stoppingToken));
            await Task.WhenAll(parts);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped while containerd was starting.
        }
        finally
        {
            // The kubelet has returned: now containerd (only if this agent started it; pods keep running).
            if (containerd is not null)
            {
                await containerd.DisposeAsync();
            }

            external?.Dispose();
            LogStopped(_logger, _setup.NodeName);
        }
    }

    /// <summary>
    /// Serves cluster DNS on the node's pod gateway and, once it answers, publishes that address on the Node (the kube-dns
    /// endpoints controller reads it); with <c>--disable-cluster-dns</c> it removes the annotation instead.
    /// </summary>
    private async Task RunClusterDnsAsync(Kubernetes client, IPAddress gateway, ClusterNetwork cluster, CancellationToken cancellationToken)
    {
        if (_setup.Settings.DisableClusterDns)
        {
            await NodeComponent.AnnotateAsync(client, _setup.NodeName, ClusterDnsServer.AddressAnnotation, null, _logger, cancellationToken);
            return;
        }

        var dns = new ClusterDnsServer(client, new ClusterDnsOptions
        {
            ListenAddress = gateway,
            ClusterDomain = cluster.ClusterDomain,
            UpstreamResolvConf = _setup.Settings.ResolvConf,
        }, _loggerFactory, _time);
        Task serving = NodeComponent.RunAsync("cluster DNS", dns.RunAsync, _logger, _time, cancellationToken);
        await Task.WhenAny(dns.Ready, serving);
        if (dns.Ready.IsCompletedSuccessfully)
        {
            await NodeComponent.AnnotateAsync(client, _setup.NodeName, ClusterDnsServer.AddressAnnotation, gateway.ToString(), _logger, cancellationToken);
        }

        await serving;
    }

    /// <summary>
    /// Creates the Node (so the IPAM controller sees it) and waits for spec.podCIDR; falls back to <see cref="NodeAgentSetup.FallbackPodCidr"/>
    /// with a warning, writing it to the Node. Null when stopped meanwhile.
    /// </summary>
    private async Task<string?> PodCidrAsync(Kubernetes client, KubeletOptions options, CancellationToken cancellationToken)
    {
        TimeSpan delay = TimeSpan.FromMilliseconds(500);
        V1Node node;
        while (true)
        {
            try
            {
                node = await NodeRegistration.EnsureNodeAsync(client, options.NodeName, NodeRegistration.StandardLabels(options), cancellationToken);
                break;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                LogRegisterRetry(_logger, options.NodeName, e.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            await Task.Delay(delay, _time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }

        DateTimeOffset deadline = _time.GetUtcNow() + _setup.PodCidrWait;
        try
        {
            while (string.IsNullOrEmpty(node.Spec?.PodCIDR) && _time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), _time, cancellationToken);
                try
                {
                    node = await client.CoreV1.ReadNodeAsync(options.NodeName, cancellationToken: cancellationToken);
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    LogRegisterRetry(_logger, options.NodeName, e.Message);
                }
            }

            if (node.Spec?.PodCIDR is { Length: > 0 } assigned)
            {
                LogPodCidr(_logger, options.NodeName, assigned);
                return assigned;
            }

            string fallback = _setup.FallbackPodCidr.ToString();
            LogPodCidrFallback(_logger, options.NodeName, _setup.PodCidrWait.TotalSeconds, fallback);
            string patch = $$$"""{"spec":{"podCIDR":"{{{fallback}}}","podCIDRs":["{{{fallback}}}"]}}""";
            await client.CoreV1.PatchNodeAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), options.NodeName, cancellationToken: cancellationToken);
            return fallback;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Node {NodeName} has pod CIDR {PodCidr}")]
    private static partial void LogPodCidr(ILogger logger, string nodeName, string podCidr);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning,
        Message = "Node {NodeName} got no pod CIDR from the controller manager within {Seconds:F0} s; using {PodCidr} (is the controller manager disabled?)")]
    private static partial void LogPodCidrFallback(ILogger logger, string nodeName, double seconds, string podCidr);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "containerd (pid {Pid}, reused: {Reused}) ready for pod CIDR {PodCidr} on bridge {Bridge}")]
    private static partial void LogRuntimeReady(ILogger logger, int pid, bool reused, string podCidr, string bridge);

    [LoggerMessage(EventId = 503, Level = LogLevel.Information, Message = "Using the container runtime at {Endpoint}; no containerd is started")]
    private static partial void LogExternalRuntime(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Starting the kubelet for node {NodeName} ({InternalIp})")]
    private static partial void LogKubeletStarting(ILogger logger, string nodeName, string internalIp);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Node agent for {NodeName} stopped")]
    private static partial void LogStopped(ILogger logger, string nodeName);

    [LoggerMessage(EventId = 509, Level = LogLevel.Error, Message = "The node agent does not start: {Reason}")]
    private static partial void LogClusterNetworkInvalid(ILogger logger, string reason);

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "Registering node {NodeName} failed; retrying: {Reason}")]
    private static partial void LogRegisterRetry(ILogger logger, string nodeName, string reason);
}
