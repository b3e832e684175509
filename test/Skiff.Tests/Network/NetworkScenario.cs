using System.Runtime.Versioning;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.TestKit.Network;

namespace Skiff.Tests.Network;

/// <summary>
/// What the network tests do to the shared cluster: each test works in a namespace of its own (deleted at the end), runs
/// skiff/httpd pods (the page at /cgi-bin/hostname names the pod) and skiff/shell clients on chosen nodes, and runs busybox
/// wget and nslookup inside the clients through <c>kubectl exec</c>.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class NetworkScenario : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly CancellationTokenSource _timeout = new(Timeout);

    public NetworkScenario(NetnsCluster cluster, string prefix)
    {
        Cluster = cluster;
        Namespace = prefix + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    }

    public NetnsCluster Cluster { get; }

    public IKubernetes Client => Cluster.Client;

    public string Namespace { get; }

    public CancellationToken Token => _timeout.Token;

    public string NodeA => Cluster.Nodes[0].Name;

    public string NodeB => Cluster.Nodes[1].Name;

    public static async Task<NetworkScenario> StartAsync(NetnsCluster cluster, string prefix)
    {
        var scenario = new NetworkScenario(cluster, prefix);
        await scenario.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = scenario.Namespace } }, cancellationToken: scenario.Token);
        return scenario;
    }

    /// <summary>A skiff/httpd pod on <paramref name="node"/>; returns it once Ready, with its pod IP.</summary>
    public Task<V1Pod> WebAsync(string name, string node, IDictionary<string, string>? labels = null, Action<V1Pod>? customize = null)
    {
        V1Pod pod = Pod(name, node, "httpd", labels);
        pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, Name = "http" }];
        pod.Spec.Containers[0].ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/healthz", Port = 80 }, PeriodSeconds = 1 };
        customize?.Invoke(pod);
        return RunAsync(pod);
    }

    /// <summary>A skiff/shell pod (busybox wget, nslookup) on <paramref name="node"/>; returns it once Ready.</summary>
    public Task<V1Pod> ClientAsync(string name, string node, IDictionary<string, string>? labels = null) => RunAsync(Pod(name, node, "shell", labels));

    public V1Pod Pod(string name, string node, string image, IDictionary<string, string>? labels) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace, Labels = labels ?? new Dictionary<string, string>() },
        Spec = new V1PodSpec
        {
            NodeName = node,
            TerminationGracePeriodSeconds = 2,
            Containers = [new V1Container { Name = "main", Image = Cluster.Image(image) }],
        },
    };

    public async Task<V1Pod> RunAsync(V1Pod pod)
    {
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Namespace, cancellationToken: Token);
        return await ReadyAsync(pod.Metadata.Name);
    }

    public async Task<V1Pod> ReadyAsync(string name)
    {
        while (true)
        {
            V1Pod pod = await Client.CoreV1.ReadNamespacedPodAsync(name, Namespace, cancellationToken: Token);
            if (pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true && !string.IsNullOrEmpty(pod.Status.PodIP))
            {
                return pod;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), Token);
        }
    }

    public async Task<V1Service> ServiceAsync(string name, IDictionary<string, string> selector, string type = "ClusterIP", string? clusterIp = null)
    {
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec
            {
                Type = type,
                ClusterIP = clusterIp,
                Selector = selector,
                Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 80, Protocol = "TCP" }],
            },
        };
        return await Client.CoreV1.CreateNamespacedServiceAsync(service, Namespace, cancellationToken: Token);
    }

    /// <summary>
    /// busybox wget of <paramref name="url"/> inside <paramref name="pod"/>, killed after 3 s: the body, or null when it failed. (busybox 1.35's
    /// own <c>wget -T</c> segfaults, so the timeout comes from busybox <c>timeout</c>.)
    /// </summary>
    public async Task<string?> GetAsync(string pod, string url)
    {
        (int code, string output) = await Cluster.ExecAsync(Namespace, pod, ["timeout", "3", "wget", "-q", "-O-", url], Token);
        return code == 0 ? output.Trim() : null;
    }

    /// <summary>Fetches <paramref name="url"/> from <paramref name="pod"/> until it answers (rules take a moment to appear).</summary>
    public async Task<string> GetWhenUpAsync(string pod, string url)
    {
        string? last = null;
        for (int attempt = 0; ; attempt++)
        {
            if (await GetAsync(pod, url) is { Length: > 0 } body)
            {
                return body;
            }

            if (attempt == 40)
            {
                (_, last) = await Cluster.ExecAsync(Namespace, pod, ["timeout", "3", "wget", "-O-", url], Token);
                throw new TimeoutException($"{url} from {pod} did not answer: {last}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Token);
        }
    }

    /// <summary>Asks <paramref name="url"/> up to <paramref name="attempts"/> times and returns the distinct pod names that answered.</summary>
    public async Task<HashSet<string>> AnswerersAsync(string pod, string url, int attempts, int enough)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < attempts && names.Count < enough; i++)
        {
            if (await GetAsync(pod, url) is { Length: > 0 } name)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>busybox nslookup inside <paramref name="pod"/>: exit code and output.</summary>
    public Task<(int ExitCode, string Output)> LookupAsync(string pod, params string[] arguments) =>
        Cluster.ExecAsync(Namespace, pod, ["nslookup", .. arguments], Token);

    /// <summary>Retries nslookup until its output satisfies <paramref name="done"/> (records follow the informers).</summary>
    public async Task<string> LookupUntilAsync(string pod, Func<string, bool> done, params string[] arguments)
    {
        string output = "";
        for (int attempt = 0; attempt < 40; attempt++)
        {
            (int code, output) = await LookupAsync(pod, arguments);
            if (code == 0 && done(output))
            {
                return output;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), Token);
        }

        throw new TimeoutException($"nslookup {string.Join(' ', arguments)} in {pod} never satisfied the test; last output:\n{output}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Client.CoreV1.DeleteCollectionNamespacedPodAsync(Namespace, gracePeriodSeconds: 0, cancellationToken: cleanup.Token);
            await Client.CoreV1.DeleteNamespaceAsync(Namespace, cancellationToken: cleanup.Token);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            // The cluster's own teardown deletes every pod that is left.
        }

        _timeout.Dispose();
    }
}
