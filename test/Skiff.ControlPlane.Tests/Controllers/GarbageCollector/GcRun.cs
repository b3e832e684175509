using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.GarbageCollector;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers.GarbageCollector;

/// <summary>
/// One garbage collector running against the server for one test, in a namespace of its own, with a signal raised on every
/// change to the kinds the tests look at (so waits re-check on events instead of sleeping).
/// </summary>
internal sealed class GcRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));
    private readonly SharedInformerFactory _informers;
    private readonly GarbageCollectorController _collector;
    private readonly SemaphoreSlim _changed = new(0);
    private Task _running = Task.CompletedTask;

    private GcRun(Kubernetes client, string ns)
    {
        Client = client;
        Namespace = ns;
        _informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        _collector = new(client, TimeProvider.System, NullLogger<GarbageCollectorController>.Instance, workers: 4);
    }

    public Kubernetes Client { get; }

    public string Namespace { get; }

    public CancellationToken Token => _timeout.Token;

    public static async Task<GcRun> StartAsync(Kubernetes client)
    {
        string ns = "gc-" + Guid.NewGuid().ToString("N")[..8];
        var run = new GcRun(client, ns);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: run.Token);
        run._collector.Register(run._informers);
        var signal = new InformerHandler<PartialObjectMetadata>(_ => run._changed.Release(), (_, _) => run._changed.Release(), _ => run._changed.Release());
        foreach (string plural in new[] { "pods", "replicasets", "deployments", "configmaps" })
        {
            ResourceInfo resource = ResourceCatalog.BuiltIn.Resources.First(r => r.Plural == plural);
            run._informers.Metadata(resource).AddEventHandler(signal);
        }

        run._informers.Start(run.Token);
        run._running = run._collector.RunAsync(run.Token);
        await run._informers.WaitForCacheSyncAsync(run.Token);
        return run;
    }

    /// <summary>Re-checks <paramref name="condition"/> on every change until it holds (or the test times out).</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await _changed.WaitAsync(Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timeout.CancelAsync();
        await _running;
        await _informers.DisposeAsync();
        _collector.Dispose();
        _changed.Dispose();
        _timeout.Dispose();
    }
}
