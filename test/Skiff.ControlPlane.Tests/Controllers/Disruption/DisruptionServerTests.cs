using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Skiff.ControlPlane.Controllers.Disruption;
using Skiff.ControlPlane.Tests.Server;
using Skiff.Machinery.Informers;
using static Skiff.ControlPlane.Tests.Server.InformerSignal;

namespace Skiff.ControlPlane.Tests.Controllers.Disruption;

/// <summary>
/// The disruption controller against a real server, and the eviction subresource reading what it computed: the test plays
/// the kubelet (Running and Ready pods) and kubectl drain (POST pods/eviction).
/// </summary>
public sealed class DisruptionServerTests(ControlPlaneServerFixture fixture) : IClassFixture<ControlPlaneServerFixture>
{
    private const string Namespace = "default";

    [Fact]
    public async Task Budget_StatusComputedFromTheController_EvictionAllowedThenRefusedWith429()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new DisruptionController(client, TimeProvider.System, NullLogger<DisruptionController>.Instance, workers: 1);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.PodDisruptionBudgets().AddEventHandler(new InformerHandler<V1PodDisruptionBudget>(_ => changed.Release(), (_, _) => changed.Release(), _ => changed.Release()));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        // A StatefulSet object asks for 3 replicas (no StatefulSet controller runs: the test creates its pods).
        V1StatefulSet set = await client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1StatefulSetSpec
            {
                Replicas = 3,
                ServiceName = "db",
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "db" } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "db", Image = "postgres" }] },
                },
            },
        }, Namespace, cancellationToken: token);
        for (int i = 0; i < 3; i++)
        {
            await CreateRunningPodAsync(client, "db-" + i, "db", set.Metadata, token);
        }

        await client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = "db" },
            Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "db" } } },
        }, Namespace, cancellationToken: token);

        await WaitUntilAsync(changed, () => Budget(informers, "db")?.Status?.DisruptionsAllowed == 1, token);
        V1PodDisruptionBudgetStatus status = Budget(informers, "db")!.Status;
        Assert.Equal((3, 2, 3, 1L), (status.ExpectedPods, status.DesiredHealthy, status.CurrentHealthy, status.ObservedGeneration));
        Assert.Equal(("True", "SufficientPods"), (status.Conditions.Single().Status, status.Conditions.Single().Reason));

        // One eviction spends the allowance; the pod goes, and the next eviction is refused as drain expects.
        (HttpStatusCode first, _) = await EvictAsync(client, "db-0", token);
        Assert.Equal(HttpStatusCode.Created, first);
        (HttpStatusCode second, string body) = await EvictAsync(client, "db-1", token);
        Assert.Equal(HttpStatusCode.TooManyRequests, second);
        using (JsonDocument refusal = JsonDocument.Parse(body))
        {
            Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", refusal.RootElement.GetProperty("message").GetString());
            JsonElement cause = refusal.RootElement.GetProperty("details").GetProperty("causes")[0];
            Assert.Equal("DisruptionBudget", cause.GetProperty("reason").GetString());

            // 3 while the controller has not yet recounted after the first eviction spent the allowance, 2 after.
            Assert.Matches("^The disruption budget db needs 2 healthy pods and has [23] currently$", cause.GetProperty("message").GetString());
        }

        // The controller recounts without the evicted pod and drops it from disruptedPods.
        await WaitUntilAsync(changed, () => Budget(informers, "db")?.Status is { CurrentHealthy: 2, DisruptionsAllowed: 0 } s && (s.DisruptedPods?.Count ?? 0) == 0, token);
        Assert.Equal("InsufficientPods", Budget(informers, "db")!.Status.Conditions.Single().Reason);

        // A replacement becomes ready: evictions are allowed again.
        await CreateRunningPodAsync(client, "db-0", "db", set.Metadata, token);
        await WaitUntilAsync(changed, () => Budget(informers, "db")?.Status?.DisruptionsAllowed == 1, token);
        Assert.Equal(HttpStatusCode.Created, (await EvictAsync(client, "db-1", token)).Status);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Budget_ControllerMissingOrNone_FailsSafeOrCountsThePodsAsUnmanaged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        CancellationToken token = timeout.Token;
        Kubernetes client = fixture.Client;
        await using var informers = new SharedInformerFactory(client, TimeProvider.System, NullLoggerFactory.Instance, TimeSpan.Zero);
        using var controller = new DisruptionController(client, TimeProvider.System, NullLogger<DisruptionController>.Instance, workers: 1);
        controller.Register(informers);
        var changed = new SemaphoreSlim(0);
        informers.PodDisruptionBudgets().AddEventHandler(new InformerHandler<V1PodDisruptionBudget>(_ => changed.Release(), (_, _) => changed.Release(), _ => changed.Release()));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        informers.Start(stop.Token);
        Task running = controller.RunAsync(stop.Token);

        // A pod whose StatefulSet does not exist: the budget cannot be computed, so it allows nothing and says why.
        await CreateRunningPodAsync(client, "lost", "lost", new V1ObjectMeta { Name = "gone", Uid = "00000000-0000-0000-0000-000000000001" }, token);
        await CreateBudgetAsync(client, "lost", token);

        // A pod without any controller is unmanaged: it is left out of expectedPods, not an error.
        await CreateRunningPodAsync(client, "lonely", "lonely", owner: null, token);
        await CreateBudgetAsync(client, "lonely", token);

        await WaitUntilAsync(changed, () => Budget(informers, "lost")?.Status?.Conditions?.Count > 0 && Budget(informers, "lonely")?.Status?.Conditions?.Count > 0, token);
        V1Condition failed = Budget(informers, "lost")!.Status.Conditions.Single();
        Assert.Equal(("False", "SyncFailed", "found no controllers for pod \"lost\""), (failed.Status, failed.Reason, failed.Message));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await EvictAsync(client, "lost", token)).Status);
        V1PodDisruptionBudgetStatus unmanaged = Budget(informers, "lonely")!.Status;
        Assert.Equal((0, 1, 0, "InsufficientPods"), (unmanaged.ExpectedPods, unmanaged.CurrentHealthy, unmanaged.DisruptionsAllowed, unmanaged.Conditions.Single().Reason));

        await stop.CancelAsync();
        await running;
    }

    private static Task<V1PodDisruptionBudget> CreateBudgetAsync(Kubernetes client, string app, CancellationToken token) =>
        client.PolicyV1.CreateNamespacedPodDisruptionBudgetAsync(new V1PodDisruptionBudget
        {
            Metadata = new V1ObjectMeta { Name = app },
            Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = app } } },
        }, Namespace, cancellationToken: token);

    private static V1PodDisruptionBudget? Budget(SharedInformerFactory informers, string name) => informers.PodDisruptionBudgets().Cache.Get(Namespace, name);

    // The test as kubelet: the pod is created, then reported Running and Ready.
    private static async Task CreateRunningPodAsync(Kubernetes client, string name, string app, V1ObjectMeta? owner, CancellationToken token)
    {
        V1Pod pod = await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                Labels = new Dictionary<string, string> { ["app"] = app },
                OwnerReferences = owner is null ? null : [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = owner.Name, Uid = owner.Uid, Controller = true }],
            },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "postgres" }] },
        }, Namespace, cancellationToken: token);
        pod.Status = new V1PodStatus { Phase = "Running", PodIP = "10.42.1.1", Conditions = [new V1PodCondition { Type = "Ready", Status = "True" }] };
        await client.CoreV1.ReplaceNamespacedPodStatusAsync(pod, name, Namespace, cancellationToken: token);
    }

    private static async Task<(HttpStatusCode Status, string Body)> EvictAsync(Kubernetes client, string pod, CancellationToken token)
    {
        string eviction = $$$"""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"{{{pod}}}","namespace":"{{{Namespace}}}"}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(client.BaseUri, $"api/v1/namespaces/{Namespace}/pods/{pod}/eviction"))
        {
            Content = new StringContent(eviction, Encoding.UTF8, "application/json"),
        };
        using HttpResponseMessage response = await client.HttpClient.SendAsync(request, token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(token));
    }
}
