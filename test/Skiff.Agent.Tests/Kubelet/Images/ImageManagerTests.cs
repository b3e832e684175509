using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Skiff.Agent.Kubelet;
using Skiff.Agent.Kubelet.Images;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;
using Skiff.TestKit.Registry;

namespace Skiff.Agent.Tests.Kubelet.Images;

/// <summary>Image pulls through a real containerd from real docker-registry instances on random loopback ports (needs root).</summary>
public sealed class ImageManagerTests(ImagesFixture fixture) : IClassFixture<ImagesFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pod_ImageOnARandomLoopbackPort_PullsWithNoConfigurationAndRuns()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string image = fixture.Open.Host + "/" + ImagesFixture.Repository + ":1";
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "pull-" + Hex() },
            Spec = new V1PodSpec
            {
                NodeName = fixture.NodeName,
                Containers = [new V1Container { Name = "app", Image = image, Command = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"] }],
            },
        };
        V1Pod created = await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cts.Token);

        V1Pod running = await WaitForPodAsync(created, p => p.Status?.Phase == "Running" && p.Status.ContainerStatuses?.SingleOrDefault()?.Ready == true, cts.Token);

        V1ContainerStatus status = running.Status.ContainerStatuses.Single();
        Assert.Equal(image, status.Image);
        Assert.StartsWith(fixture.Open.Host + "/" + ImagesFixture.Repository + "@sha256:", status.ImageID, StringComparison.Ordinal);
        Assert.Equal("IfNotPresent", running.Spec.Containers.Single().ImagePullPolicy);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(created.Metadata.Name, "default", cancellationToken: cts.Token);
    }

    [Fact]
    public async Task EnsureImage_LoopbackRegistryOnAnyPort_PullsOverPlainHttpByIpOrLocalhost_WithNoHostsToml()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await using LocalRegistry registry = await LocalRegistry.StartAsync(null, cts.Token);
        string byIp = await registry.PushAsync(fixture.BusyboxArchive, "skiff/fresh:1", cts.Token);
        string byName = byIp.Replace("127.0.0.1:", "localhost:", StringComparison.Ordinal);
        ImageManager images = NewManager();

        ImageResult ip = await images.EnsureImageAsync(Pod(), Container(byIp, "Always"), new PodSandboxConfig(), cts.Token);
        ImageResult name = await images.EnsureImageAsync(Pod(), Container(byName, "Always"), new PodSandboxConfig(), cts.Token);

        Assert.True(ip.Ready, ip.Message);
        Assert.True(name.Ready, name.Message);
        Assert.False(Directory.Exists(Path.Combine(fixture.Node.Options.RegistryConfigDir, registry.Host)));
    }

    [Fact]
    public async Task EnsureImage_NeverWithAbsentImage_ErrImageNeverPull_AndPresentOnceAnotherPolicyPulledIt()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        await fixture.Open.PushAsync(fixture.BusyboxArchive, "skiff/never:1", cts.Token);
        string image = fixture.Open.Host + "/skiff/never:1";
        ImageManager images = NewManager();

        ImageResult never = await images.EnsureImageAsync(Pod(), Container(image, "Never"), new PodSandboxConfig(), cts.Token);

        Assert.False(never.Ready);
        Assert.Equal("ErrImageNeverPull", never.Reason);
        Assert.Equal($"Container image \"{image}\" is not present with pull policy of Never", never.Message);

        ImageResult pulled = await images.EnsureImageAsync(Pod(), Container(image, "IfNotPresent"), new PodSandboxConfig(), cts.Token);
        ImageResult present = await images.EnsureImageAsync(Pod(), Container(image, "Never"), new PodSandboxConfig(), cts.Token);

        Assert.True(pulled.Ready, pulled.Message);
        Assert.True(present.Ready, present.Message);
        Assert.Equal(pulled.ImageRef, present.ImageRef);
    }

    [Fact]
    public async Task EnsureImage_ImageThatDoesNotExist_ErrImagePullThenImagePullBackOffWithADoublingDelay()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        ImageManager images = NewManager(time);
        string image = fixture.Open.Host + "/skiff/does-not-exist:1";
        V1Pod pod = Pod();
        V1Container container = Container(image, "IfNotPresent");

        async Task<string?> ReasonAfterAsync(TimeSpan advance)
        {
            time.Advance(advance);
            return (await images.EnsureImageAsync(pod, container, new PodSandboxConfig(), cts.Token)).Reason;
        }

        ImageResult first = await images.EnsureImageAsync(pod, container, new PodSandboxConfig(), cts.Token);
        ImageResult backOff = await images.EnsureImageAsync(pod, container, new PodSandboxConfig(), cts.Token);

        Assert.Equal("ErrImagePull", first.Reason);
        Assert.StartsWith("rpc error: code = NotFound desc = failed to pull and unpack image", first.Message, StringComparison.Ordinal);
        Assert.Equal("ImagePullBackOff", backOff.Reason);
        Assert.Equal($"Back-off pulling image \"{image}\"", backOff.Message);
        // 10 s after the first failure it pulls again; that failure doubles the delay to 20 s, then 40 s.
        Assert.Equal("ImagePullBackOff", await ReasonAfterAsync(TimeSpan.FromSeconds(9)));
        Assert.Equal("ErrImagePull", await ReasonAfterAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal("ImagePullBackOff", await ReasonAfterAsync(TimeSpan.FromSeconds(19)));
        Assert.Equal("ErrImagePull", await ReasonAfterAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal("ImagePullBackOff", await ReasonAfterAsync(TimeSpan.FromSeconds(39)));
        Assert.Equal("ErrImagePull", await ReasonAfterAsync(TimeSpan.FromSeconds(1)));
        // Another pod pulling the same image has its own back-off, as in the kubelet.
        Assert.Equal("ErrImagePull", (await images.EnsureImageAsync(Pod(), container, new PodSandboxConfig(), cts.Token)).Reason);
    }

    [Fact]
    public async Task EnsureImage_Always_ResolvesTheTagAgain_IfNotPresent_KeepsTheLocalImage()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string archive = Path.Combine(fixture.Node.Options.DataDir, "moving-" + Hex() + ".oci.tar");
        string image = fixture.Open.Host + "/skiff/moving:1";
        ImageManager images = NewManager();
        await ImagesFixture.WriteBusyboxAsync(archive, "first", cts.Token);
        await fixture.Open.PushAsync(archive, "skiff/moving:1", cts.Token);
        ImageResult first = await images.EnsureImageAsync(Pod(), Container(image, "Always"), new PodSandboxConfig(), cts.Token);

        await ImagesFixture.WriteBusyboxAsync(archive, "second", cts.Token);
        await fixture.Open.PushAsync(archive, "skiff/moving:1", cts.Token);
        ImageResult ifNotPresent = await images.EnsureImageAsync(Pod(), Container(image, "IfNotPresent"), new PodSandboxConfig(), cts.Token);
        ImageResult always = await images.EnsureImageAsync(Pod(), Container(image, "Always"), new PodSandboxConfig(), cts.Token);
        // No policy (another API server might not default it): a tag other than latest means IfNotPresent.
        ImageResult defaulted = await images.EnsureImageAsync(Pod(), Container(image, null), new PodSandboxConfig(), cts.Token);

        Assert.True(first.Ready, first.Message);
        Assert.Equal(first.ImageRef, ifNotPresent.ImageRef);
        Assert.True(always.Ready, always.Message);
        Assert.NotEqual(first.ImageRef, always.ImageRef);
        Assert.Equal(always.ImageRef, defaulted.ImageRef);
    }

    [Fact]
    public async Task EnsureImage_RegistryWithBasicAuth_RefusesWithoutCredentials_PullsWithAnImagePullSecret()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string image = fixture.Auth.Host + "/" + ImagesFixture.Repository + ":1";
        string secretName = "regcred-" + Hex();
        string config = $"{{\"auths\":{{\"{fixture.Auth.Host}\":{{\"auth\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(ImagesFixture.User + ":" + ImagesFixture.Password))}\"}}}}}}";
        await fixture.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = secretName },
                Type = "kubernetes.io/dockerconfigjson",
                Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes(config) },
            },
            "default",
            cancellationToken: cts.Token);
        ImageManager images = NewManager();

        ImageResult refused = await images.EnsureImageAsync(Pod(), Container(image, "Always"), new PodSandboxConfig(), cts.Token);
        ImageResult withSecret = await images.EnsureImageAsync(Pod(secretName), Container(image, "Always"), new PodSandboxConfig(), cts.Token);

        Assert.Equal("ErrImagePull", refused.Reason);
        Assert.Contains("401 Unauthorized", refused.Message, StringComparison.Ordinal);
        Assert.True(withSecret.Ready, withSecret.Message);
        await fixture.Client.CoreV1.DeleteNamespacedSecretAsync(secretName, "default", cancellationToken: cts.Token);
    }

    [Fact]
    public async Task EnsureImage_RegistryWithBasicAuth_PullsWithTheRegistriesFileCredentials()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string image = fixture.Auth.Host + "/" + ImagesFixture.Repository + ":1";
        string file = Path.Combine(fixture.Node.Options.DataDir, "registries-" + Hex() + ".yaml");
        await File.WriteAllTextAsync(file, $"configs:\n  \"{fixture.Auth.Host}\":\n    auth:\n      username: {ImagesFixture.User}\n      password: {ImagesFixture.Password}\n", cts.Token);
        string wrong = Path.Combine(fixture.Node.Options.DataDir, "registries-" + Hex() + ".yaml");
        await File.WriteAllTextAsync(wrong, $"configs:\n  \"{fixture.Auth.Host}\":\n    auth:\n      username: {ImagesFixture.User}\n      password: wrong\n", cts.Token);

        ImageResult withFile = await NewManager(registriesFile: file).EnsureImageAsync(Pod(), Container(image, "Always"), new PodSandboxConfig(), cts.Token);
        ImageResult withWrongPassword = await NewManager(registriesFile: wrong).EnsureImageAsync(Pod(), Container(image, "Always"), new PodSandboxConfig(), cts.Token);

        Assert.True(withFile.Ready, withFile.Message);
        Assert.Equal("ErrImagePull", withWrongPassword.Reason);
        Assert.Contains("401 Unauthorized", withWrongPassword.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureImage_RegistryMirroredToALocalRegistryWithBasicAuth_PullsFromTheMirrorWithTheRegistriesFile()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // A .test name never resolves: if the mirror failed, the fallback to the registry itself could not leave the machine.
        string file = Path.Combine(fixture.Node.Options.DataDir, "registries-" + Hex() + ".yaml");
        await File.WriteAllTextAsync(
            file,
            $"mirrors:\n  registry.skiff.test:\n    endpoint:\n      - \"http://{fixture.Auth.Host}\"\n"
            + $"configs:\n  \"{fixture.Auth.Host}\":\n    auth:\n      username: {ImagesFixture.User}\n      password: {ImagesFixture.Password}\n",
            cts.Token);
        // What ContainerdConfig does at containerd's start; containerd rereads the directory at every pull.
        RegistryHosts.Write(fixture.Node.Options.RegistryConfigDir, RegistriesFile.Load(file));

        ImageResult mirrored = await NewManager(registriesFile: file).EnsureImageAsync(
            Pod(), Container("registry.skiff.test/" + ImagesFixture.Repository + ":1", "Always"), new PodSandboxConfig(), cts.Token);

        Assert.True(mirrored.Ready, mirrored.Message);
    }

    [Fact]
    public async Task ImagesScript_HttpdAndMemhog_BuiltIntoALocalRegistry_ServeThePageAndHoldTheMemoryInPods()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        string dataDir = Path.Combine(fixture.Node.Options.DataDir, "images-sh-" + Hex());
        await RunImagesScriptAsync(dataDir, cts.Token);
        V1Pod web = await CreatePodAsync("web", fixture.Open.Host + "/skiff/httpd:1", [], cts.Token);
        V1Pod hog = await CreatePodAsync("hog", fixture.Open.Host + "/skiff/memhog:1", ["16"], cts.Token);

        V1Pod webRunning = await WaitForPodAsync(web, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.Ready == true, cts.Token);
        V1Pod hogRunning = await WaitForPodAsync(hog, p => p.Status?.ContainerStatuses?.SingleOrDefault()?.Ready == true, cts.Token);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string page = await GetWhenUpAsync(http, $"http://{webRunning.Status.PodIP}/", cts.Token);
        Assert.Contains("Hello from skiff/httpd", page, StringComparison.Ordinal);
        Assert.Equal("ok", (await http.GetStringAsync(new Uri($"http://{webRunning.Status.PodIP}/healthz"), cts.Token)).Trim());
        Assert.Equal(web.Metadata.Name, (await http.GetStringAsync(new Uri($"http://{webRunning.Status.PodIP}/cgi-bin/hostname"), cts.Token)).Trim());
        string log = Path.Combine(fixture.Node.Options.DataDir, "kubelet", "pods", $"default_{hog.Metadata.Name}_{hogRunning.Metadata.Uid}", "app", "0.log");
        while (!File.Exists(log) || !(await File.ReadAllTextAsync(log, cts.Token)).Contains("holding 16 MiB", StringComparison.Ordinal))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
        }

        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(web.Metadata.Name, "default", cancellationToken: cts.Token);
        await fixture.Client.CoreV1.DeleteNamespacedPodAsync(hog.Metadata.Name, "default", cancellationToken: cts.Token);
    }

    private async Task RunImagesScriptAsync(string dataDir, CancellationToken cancellationToken)
    {
        string script = RepositoryRoot() + "/scripts/images.sh";
        var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("build");
        info.Environment["SKIFF_DATA_DIR"] = dataDir;
        info.Environment["SKIFF_REGISTRY_ADDR"] = fixture.Open.Host;
        info.Environment["SKIFF_IMAGES"] = "httpd memhog";
        using var process = System.Diagnostics.Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, await stdout + await stderr);
        Assert.True(await fixture.Open.HasAsync("skiff/httpd", "latest", cancellationToken));
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "images.sh")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("scripts/images.sh not found above " + AppContext.BaseDirectory);
    }

    private async Task<V1Pod> CreatePodAsync(string prefix, string image, List<string> args, CancellationToken cancellationToken)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = prefix + "-" + Hex() },
            Spec = new V1PodSpec { NodeName = fixture.NodeName, Containers = [new V1Container { Name = "app", Image = image, Args = args }] },
        };
        return await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "default", cancellationToken: cancellationToken);
    }

    private static async Task<string> GetWhenUpAsync(HttpClient http, string url, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await http.GetStringAsync(new Uri(url), cancellationToken);
            }
            catch (HttpRequestException)
            {
                // httpd is still starting.
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    private ImageManager NewManager(TimeProvider? time = null, string? registriesFile = null) =>
        new(fixture.Node.Client, fixture.Client,
            new KubeletOptions
            {
                NodeName = fixture.NodeName,
                InternalIp = "127.0.0.1",
                DataDir = fixture.Node.Options.DataDir,
                RegistriesFile = registriesFile,
            },
            NullLogger.Instance, time ?? TimeProvider.System);

    private static V1Pod Pod(params string[] pullSecrets) => new()
    {
        Metadata = new V1ObjectMeta { Name = "images-" + Hex(), NamespaceProperty = "default", Uid = Guid.NewGuid().ToString() },
        Spec = new V1PodSpec { ImagePullSecrets = pullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList() },
    };

    private static V1Container Container(string image, string? policy) => new() { Name = "app", Image = image, ImagePullPolicy = policy };

    private static string Hex() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    private async Task<V1Pod> WaitForPodAsync(V1Pod pod, Func<V1Pod, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            V1Pod current = await fixture.Client.CoreV1.ReadNamespacedPodAsync(pod.Metadata.Name, "default", cancellationToken: cancellationToken);
            if (done(current))
            {
                return current;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }
}
