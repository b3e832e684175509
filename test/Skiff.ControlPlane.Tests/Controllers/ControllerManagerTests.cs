using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Skiff.ControlPlane.Controllers;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Controllers;

public sealed class ControllerManagerTests
{
    [Fact]
    public async Task RunControllers_EachTerm_RegistersAndRunsEveryControllerUntilLeadershipEnds()
    {
        var time = new FakeTimeProvider();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
        using var first = new TermController("first", time);
        using var second = new TermController("second", time);
        var options = Options.Create(new ControlPlaneOptions { Identity = "test", CaPem = "pem" });
        using var manager = new ControllerManager(client, [first, second], options, time, NullLoggerFactory.Instance);

        for (int term = 1; term <= 2; term++)
        {
            using var leading = new CancellationTokenSource();
            Task run = manager.RunControllersAsync(leading.Token);
            await Task.WhenAll(first.Running.Task, second.Running.Task).WaitAsync(TimeSpan.FromSeconds(10));

            await leading.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(term, first.Registrations);
            Assert.Equal(term, second.Registrations);
            first.Running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            second.Running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private sealed class TermController(string name, TimeProvider time) : Controller(name, 1, time, NullLogger.Instance)
    {
        public int Registrations { get; private set; }

        public TaskCompletionSource Running { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void AddInformerHandlers(SharedInformerFactory informers)
        {
            Registrations++;
            // Nothing is listed, so the caches sync at once; a key proves the workers run.
            Queue.Add("ns/probe");
        }

        protected override Task ReconcileAsync(string key, CancellationToken cancellationToken)
        {
            Running.TrySetResult();
            return Task.CompletedTask;
        }
    }
}
