using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers;

public sealed class ControllerTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly Kubernetes _client = new(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
    private readonly SharedInformerFactory _informers;

    public ControllerTests()
    {
        _informers = new SharedInformerFactory(_client, _time, NullLoggerFactory.Instance, TimeSpan.Zero);
    }

    [Fact]
    public async Task ProcessNext_ReconcileSucceeds_ForgetsKey()
    {
        using var controller = new RecordingController(_time);
        controller.Register(_informers);
        controller.Add("ns/a");

        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(["ns/a"], controller.Reconciled);
        Assert.Equal(0, controller.Requeues("ns/a"));
        Assert.Equal(0, controller.QueueLength);
    }

    [Fact]
    public async Task ProcessNext_ReconcileThrows_RequeuesRateLimitedAfterBackOff()
    {
        using var controller = new RecordingController(_time) { FailuresLeft = 1 };
        controller.Register(_informers);
        controller.Add("ns/a");

        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(1, controller.Requeues("ns/a"));
        Assert.Equal(0, controller.QueueLength);

        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, controller.QueueLength);
        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(["ns/a", "ns/a"], controller.Reconciled);
        Assert.Equal(0, controller.Requeues("ns/a"));
    }

    [Fact]
    public async Task Enqueue_SameKeyTwice_ReconcilesOnce()
    {
        using var controller = new RecordingController(_time);
        controller.Register(_informers);
        controller.Add("ns/a");
        controller.Add("ns/a");

        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));

        Assert.Equal(0, controller.QueueLength);
    }

    [Fact]
    public async Task Run_Cancelled_WorkersReconcileThenStop()
    {
        using var controller = new RecordingController(_time);
        controller.Register(_informers);
        using var cancel = new CancellationTokenSource();
        controller.OnReconcile = () => cancel.Cancel();
        controller.Add("ns/a");

        await controller.RunAsync(cancel.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["ns/a"], controller.Reconciled);
    }

    [Fact]
    public async Task Register_AgainAfterRun_GivesFreshQueue()
    {
        using var controller = new RecordingController(_time);
        controller.Register(_informers);
        using (var cancel = new CancellationTokenSource())
        {
            await cancel.CancelAsync();
            await controller.RunAsync(cancel.Token);
        }

        controller.Register(_informers);
        controller.Add("ns/b");

        Assert.True(await controller.ProcessNextAsync(CancellationToken.None));
        Assert.Equal(["ns/b"], controller.Reconciled);
    }

    public async ValueTask DisposeAsync()
    {
        await _informers.DisposeAsync();
        _client.Dispose();
    }

    private sealed class RecordingController(TimeProvider time) : Controller("recording", 2, time, NullLogger.Instance)
    {
        public List<string> Reconciled { get; } = [];

        public int FailuresLeft { get; set; }

        public Action? OnReconcile { get; set; }

        public int QueueLength => Queue.Count;

        public void Add(string key) => Enqueue(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = key.Split('/')[0], Name = key.Split('/')[1] },
        });

        public int Requeues(string key) => Queue.NumRequeues(key);

        protected override void AddInformerHandlers(SharedInformerFactory informers)
        {
        }

        protected override Task ReconcileAsync(string key, CancellationToken cancellationToken)
        {
            lock (Reconciled)
            {
                Reconciled.Add(key);
            }

            OnReconcile?.Invoke();
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new InvalidOperationException("injected failure");
            }

            return Task.CompletedTask;
        }
    }
}
