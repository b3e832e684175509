using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.Agent.Proxy;
using Skiff.TestKit.Network;
using Skiff.TestKit.Server;

namespace Skiff.Agent.Tests.Proxy;

/// <summary>
/// A real <c>skiff server</c> (no agent), the namespaces of <see cref="ProxyNetwork"/>, and a <see cref="ServiceProxy"/> running in
/// process with its rules in the node namespace. Tests create selectorless Services and hand-written EndpointSlices whose addresses
/// are the pod namespaces, then wait for the sync that applied them (<see cref="ApplyAsync"/>).
/// </summary>
public sealed class ProxyTrafficFixture : IAsyncLifetime, IDisposable
{
    public const string NodeName = "skt-proxy-node";
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _applied = new(StringComparer.Ordinal);
    private SkiffServerProcess? _server;
    private ProxyNetwork? _network;
    private Task? _proxy;

    public Kubernetes Client { get; private set; } = null!;

    internal ProxyNetwork Network => _network ?? throw new InvalidOperationException("not started");

    public SkiffServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _server = await SkiffServerProcess.StartAsync(new SkiffServerOptions(), timeout.Token);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_server.KubeconfigPath));
        _network = await ProxyNetwork.CreateAsync(withPods: true, timeout.Token);
        var proxy = new ServiceProxy(Client, Options(_network.Node), NullLoggerFactory.Instance, TimeProvider.System);
        var firstSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Synced += (_, e) =>
        {
            firstSync.TrySetResult();
            lock (_lock)
            {
                foreach (ProxyChange change in e.Changes)
                {
                    string key = Key(change.Kind, change.Namespace, change.Name, change.ResourceVersion);
                    _applied.Add(key);
                    if (_waiting.Remove(key, out TaskCompletionSource? done))
                    {
                        done.TrySetResult();
                    }
                }
            }
        };
        _proxy = proxy.RunAsync(_stop.Token);
        await firstSync.Task.WaitAsync(timeout.Token);
    }

    internal static ServiceProxyOptions Options(NetworkNamespace nodeNetns) => new()
    {
        NodeName = NodeName,
        ClusterCidr = IPNetwork.Parse("10.244.0.0/16"),
        Command = nodeNetns.Command,
        MinSyncPeriod = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Runs a write and waits (up to 20 s) for the end of the sync that applied the object it returned.</summary>
    public async Task<T> ApplyAsync<T>(Func<Task<T>> write)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(write);
        T written = await write();
        string key = Key(typeof(T).Name[2..], written.Metadata.NamespaceProperty ?? "", written.Metadata.Name, written.Metadata.ResourceVersion);
        Task applied;
        lock (_lock)
        {
            if (_applied.Contains(key))
            {
                return written;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[key] = done;
            applied = done.Task;
        }

        await applied.WaitAsync(TimeSpan.FromSeconds(20));
        return written;
    }

    private static string Key(string kind, string ns, string name, string? resourceVersion) => kind + "/" + ns + "/" + name + "@" + resourceVersion;

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_proxy is not null)
        {
            try
            {
                await _proxy;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        if (_network is not null)
        {
            await _network.DisposeAsync();
        }

        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose() => _stop.Dispose();
}
