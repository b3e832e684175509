using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using Skiff.Agent.Tests.Runtime;
using Skiff.TestKit.Processes;

namespace Skiff.Agent.Tests.Kubelet.Server;

/// <summary>
/// KubeletFixture's setup with the kubelet's HTTPS server on: a real <c>skiff server</c> (its API server proxies pods/log and
/// exec with its kubelet-client certificate), a real containerd with busybox, and a Kubelet whose server listens on a free
/// loopback port with a serving certificate for 127.0.0.1 issued by the server's CA, which is also the kubelet's client CA.
/// The kubelet's log lines are recorded so tests can see which route a request reached.
/// </summary>
public sealed class KubeletServerFixture : IAsyncLifetime, IDisposable
{
    public const string BusyboxImage = KubeletRig.BusyboxImage;

    private KubeletRig? _rig;
    private X509Certificate2? _ca;
    private X509Certificate2? _serving;

    public string NodeName => Rig.NodeName;

    public Kubernetes Client => Rig.Client;

    public RecordingLoggerProvider Logs { get; } = new();

    public int KubeletPort { get; private set; }

    /// <summary>The admin kubeconfig kubectl runs with.</summary>
    public string KubeconfigPath => Rig.Server.KubeconfigPath;

    /// <summary>The cluster CA (signs the kubelet's serving certificate and every accepted client certificate).</summary>
    public X509Certificate2 Ca => _ca ?? throw new InvalidOperationException("not started");

    internal ContainerdTestNode Node => Rig.Node;

    private KubeletRig Rig => _rig ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _rig = await KubeletRig.StartAsync("kubelet-server", timeout.Token);
        string tls = Path.Combine(_rig.Server.DataDirectory, "tls");
        _ca = X509Certificate2.CreateFromPemFile(Path.Combine(tls, "ca.crt"), Path.Combine(tls, "ca.key"));
        _serving = IssueServing(_ca);
        KubeletPort = LoopbackPort.Free();
        _rig.StartKubelet(
            _rig.DefaultOptions() with
            {
                ServerPort = KubeletPort,
                ServerAddress = IPAddress.Loopback,
                ServingCertificate = _serving,
                ClientCa = X509CertificateLoader.LoadCertificate(_ca.RawData),
            },
            Logs.Factory);
        await WaitForKubeletPortAsync(timeout.Token);
    }

    /// <summary>An HttpClient to the kubelet presenting <paramref name="clientCertificate"/> (none when null), trusting the cluster CA.</summary>
    public HttpClient KubeletClient(X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }

        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { X509CertificateLoader.LoadCertificate(Ca.RawData) },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = new Uri($"https://127.0.0.1:{KubeletPort}"), Timeout = TimeSpan.FromSeconds(20) };
    }

    /// <summary>The admin client certificate from the kubeconfig (CN admin, O system:masters, signed by the cluster CA).</summary>
    public X509Certificate2 AdminCertificate()
    {
        KubernetesClientConfiguration config = KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);
        return X509Certificate2.CreateFromPem(
            Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateData!)),
            Encoding.UTF8.GetString(Convert.FromBase64String(config.ClientCertificateKeyData!)));
    }

    public async Task DisposeAsync()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    // xunit calls DisposeAsync and then Dispose on a fixture: everything stops in the first, the rest is released in the second.
    public void Dispose()
    {
        _serving?.Dispose();
        _ca?.Dispose();
        Logs.Dispose();
    }

    /// <summary>The server starts once the kubelet registered and its informer synced: wait until the port accepts.</summary>
    private async Task WaitForKubeletPortAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            try
            {
                await tcp.ConnectAsync(IPAddress.Loopback, KubeletPort, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                if (Rig.Running is { IsCompleted: true } kubelet)
                {
                    await kubelet;
                    throw new InvalidOperationException("the kubelet stopped before its server listened");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    private static X509Certificate2 IssueServing(X509Certificate2 ca)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubelet-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
