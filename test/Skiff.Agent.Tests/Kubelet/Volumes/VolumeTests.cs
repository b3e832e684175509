using System.Text;
using k8s;
using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Tests.Kubelet.Volumes;

/// <summary>Pod volumes end to end: a real skiff server (its admission adds the token volume), a real containerd and the kubelet.</summary>
public sealed partial class VolumeTests(KubeletFixture fixture) : IClassFixture<KubeletFixture>
{
    private const string Ns = "default";
    private const string Sleep = "trap 'exit 0' TERM; sleep 3600 & wait";
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private Kubernetes Client => fixture.Client;

    [Fact]
    public async Task ConfigMapVolume_FileIsReadable_AndChangesInPlaceAfterTheConfigMapIsUpdated()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string name = Unique("cfg");
        await Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["greeting"] = "hello" } }, Ns, cancellationToken: cts.Token);
        V1Pod pod = await RunPodAsync("cm", [new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = name } }], [Mount("cfg", "/etc/cfg")], cts.Token);

        Assert.Equal("hello", (await ExecAsync(pod, "cat /etc/cfg/greeting", cts.Token)).Out);
        Assert.Equal("644", (await ExecAsync(pod, "stat -L -c %a /etc/cfg/greeting", cts.Token)).Out.Trim());
        Assert.NotEqual(0, (await ExecAsync(pod, "echo x > /etc/cfg/greeting", cts.Token)).Code);

        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["greeting"] = "bonjour" } }, name, Ns, cancellationToken: cts.Token);
        await WaitForExecAsync(pod, "cat /etc/cfg/greeting", "bonjour", cts.Token);
        await DeletePodAsync(pod, cts.Token);
    }

    [Fact]
    public async Task SecretVolume_DefaultMode0400_FilesHaveThatModeAndLiveOnTmpfs()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string name = Unique("sec");
        await Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes("s3cret") } },
            Ns, cancellationToken: cts.Token);
        V1Pod pod = await RunPodAsync(
            "secret", [new V1Volume { Name = "creds", Secret = new V1SecretVolumeSource { SecretName = name, DefaultMode = 256 } }], [Mount("creds", "/etc/creds")], cts.Token);

        Assert.Equal("s3cret", (await ExecAsync(pod, "cat /etc/creds/password", cts.Token)).Out);
        Assert.Equal("400", (await ExecAsync(pod, "stat -L -c %a /etc/creds/password", cts.Token)).Out.Trim());
        Assert.Equal("tmpfs", (await ExecAsync(pod, "awk '$2==\"/etc/creds\"{print $3}' /proc/mounts", cts.Token)).Out.Trim());
        await DeletePodAsync(pod, cts.Token);
    }

    [Fact]
    public async Task EmptyDir_IsSharedBetweenContainers_MemoryOneIsTmpfs_AndThePodDirIsGoneAfterDeletion()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Volume[] volumes =
        [
            new() { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() },
            new() { Name = "cache", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("8Mi") } },
        ];
        V1Pod pod = await RunPodAsync("shared", volumes, [Mount("data", "/data"), Mount("cache", "/cache")], cts.Token,
            new V1Container { Name = "writer", Image = KubeletFixture.BusyboxImage, Command = ["sh", "-c", "echo shared > /data/f; " + Sleep], VolumeMounts = [Mount("data", "/data")] });

        await WaitForExecAsync(pod, "cat /data/f", "shared\n", cts.Token);
        Assert.Equal("tmpfs", (await ExecAsync(pod, "awk '$2==\"/cache\"{print $3}' /proc/mounts", cts.Token)).Out.Trim());
        Assert.Equal("8192", (await ExecAsync(pod, "df -k /cache | awk 'NR==2{print $2}'", cts.Token)).Out.Trim());
        string podDir = Path.Combine(fixture.Node.Options.DataDir, "kubelet", "pods", pod.Metadata.Uid);
        Assert.True(Directory.Exists(Path.Combine(podDir, "volumes", "kubernetes.io~empty-dir", "data")));

        await Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: cts.Token);
        await Poll.UntilAsync(async ct => await Poll.NullIfNotFoundAsync(() => Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: ct)) is null ? "gone" : null, cts.Token);

        Assert.False(Directory.Exists(podDir));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Contains(podDir, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DownwardApiVolume_LabelsFile_FollowsLabelChanges()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var volume = new V1Volume
        {
            Name = "podinfo",
            DownwardAPI = new V1DownwardAPIVolumeSource
            {
                Items =
                [
                    new V1DownwardAPIVolumeFile { Path = "labels", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.labels" } },
                    new V1DownwardAPIVolumeFile { Path = "name", FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
                ],
            },
        };
        V1Pod pod = await RunPodAsync("downward", [volume], [Mount("podinfo", "/etc/podinfo")], cts.Token, labels: new Dictionary<string, string> { ["app"] = "demo" });

        Assert.Equal("app=\"demo\"", (await ExecAsync(pod, "cat /etc/podinfo/labels", cts.Token)).Out);
        Assert.Equal(pod.Metadata.Name, (await ExecAsync(pod, "cat /etc/podinfo/name", cts.Token)).Out);

        await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"tier":"web"}}}""", V1Patch.PatchType.MergePatch), pod.Metadata.Name, Ns,
            cancellationToken: cts.Token);
        await WaitForExecAsync(pod, "cat /etc/podinfo/labels", "app=\"demo\"\ntier=\"web\"", cts.Token);
        await DeletePodAsync(pod, cts.Token);
    }

    [Fact]
    public async Task ServiceAccountToken_AddedByAdmission_IsProjectedWithCaAndNamespace_AndTheApiServerAcceptsIt()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        V1Pod pod = await RunPodAsync("token", [], [], cts.Token);

        V1Volume volume = Assert.Single(pod.Spec.Volumes);
        Assert.StartsWith("kube-api-access-", volume.Name, StringComparison.Ordinal);
        const string Dir = "/var/run/secrets/kubernetes.io/serviceaccount";
        string token = (await ExecAsync(pod, $"cat {Dir}/token", cts.Token)).Out;
        Assert.Equal(3, token.Split('.').Length);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", (await ExecAsync(pod, $"cat {Dir}/ca.crt", cts.Token)).Out, StringComparison.Ordinal);
        Assert.Equal(Ns, (await ExecAsync(pod, $"cat {Dir}/namespace", cts.Token)).Out);
        Assert.Equal("644", (await ExecAsync(pod, $"stat -L -c %a {Dir}/token", cts.Token)).Out.Trim());

        V1TokenReview review = await Client.AuthenticationV1.CreateTokenReviewAsync(new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } }, cancellationToken: cts.Token);
        Assert.True(review.Status.Authenticated);
        Assert.Equal("system:serviceaccount:default:default", review.Status.User.Username);
        await DeletePodAsync(pod, cts.Token);
    }

    [Fact]
    public async Task HostPath_DirectoryOrCreate_CreatesTheDirectoryAndSharesIt()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string root = Path.Combine(Path.GetTempPath(), Unique("skiff-hostpath"));
        string path = Path.Combine(root, "made");
        try
        {
            V1Pod pod = await RunPodAsync(
                "hostpath", [new V1Volume { Name = "host", HostPath = new V1HostPathVolumeSource { Path = path, Type = "DirectoryOrCreate" } }],
                [Mount("host", "/host")], cts.Token, script: "echo from-pod > /host/f; " + Sleep);

            await Poll.UntilAsync(_ => Task.FromResult(File.Exists(Path.Combine(path, "f")) ? "written" : null), cts.Token);
            Assert.Equal("from-pod\n", await File.ReadAllTextAsync(Path.Combine(path, "f"), cts.Token));
            await DeletePodAsync(pod, cts.Token);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task MissingConfigMap_KeepsThePodPendingWithoutSandboxAndRecordsFailedMount_UntilItIsCreated()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string name = Unique("late");
        V1Pod pod = await CreatePodAsync("late", [new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = name } }], [Mount("cfg", "/etc/cfg")], cts.Token);

        // A few relists (1 s apart) must not start it.
        await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);
        V1Pod pending = await Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, Ns, cancellationToken: cts.Token);
        Assert.Equal("Pending", pending.Status.Phase);
        var cri = fixture.Node.Client;
        Assert.DoesNotContain((await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Options(cts.Token))).Items, s => s.Metadata.Uid == pod.Metadata.Uid);
        Corev1EventList events = await Client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: "involvedObject.name=" + pod.Metadata.Name, cancellationToken: cts.Token);
        Corev1Event failed = Assert.Single(events.Items, e => e.Reason == "FailedMount");
        Assert.Equal("Warning", failed.Type);
        Assert.Equal($"MountVolume.SetUp failed for volume \"cfg\" : configmap \"{name}\" not found", failed.Message);

        await Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["k"] = "v" } }, Ns, cancellationToken: cts.Token);
        await WaitForPodAsync(pod, p => p.Status?.Phase == "Running", cts.Token);
        Assert.Equal("v", (await ExecAsync(pod, "cat /etc/cfg/k", cts.Token)).Out);
        await DeletePodAsync(pod, cts.Token);
    }

    private static string Unique(string prefix) => prefix + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    private static V1VolumeMount Mount(string name, string path) => new() { Name = name, MountPath = path };

    private async Task<V1Pod> CreatePodAsync(
        string prefix, IList<V1Volume> volumes, IList<V1VolumeMount> mounts, CancellationToken cancellationToken, V1Container? extra = null,
        IDictionary<string, string>? labels = null, string script = Sleep)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = Unique(prefix), Labels = labels },
            Spec = new V1PodSpec
            {
                NodeName = fixture.NodeName,
                TerminationGracePeriodSeconds = 2,
                Volumes = volumes,
                Containers = [new V1Container { Name = "app", Image = KubeletFixture.BusyboxImage, Command = ["sh", "-c", script], VolumeMounts = mounts }],
            },
        };
        if (extra is not null)
        {
            pod.Spec.Containers.Add(extra);
        }

        return await Client.CoreV1.CreateNamespacedPodAsync(pod, Ns, cancellationToken: cancellationToken);
    }

    private async Task<V1Pod> RunPodAsync(
        string prefix, IList<V1Volume> volumes, IList<V1VolumeMount> mounts, CancellationToken cancellationToken, V1Container? extra = null,
        IDictionary<string, string>? labels = null, string script = Sleep)
    {
        V1Pod created = await CreatePodAsync(prefix, volumes, mounts, cancellationToken, extra, labels, script);
        return await WaitForPodAsync(created, p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.All(c => c.Ready) == true, cancellationToken);
    }
}
