using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Skiff.ApiServer;
using Skiff.ApiServer.Authentication;
using k8s;
using Skiff.Commands;
using Skiff.ControlPlane;
using Skiff.ControlPlane.Scheduling;
using Skiff.Pki;
using Skiff.Store;

namespace Skiff.Hosting;

/// <summary>
/// <c>skiff server</c>'s composition, in k3s' start order: data directory and certificates, then the store, then the HTTPS
/// endpoints, the API server, the controller manager and the scheduler; later the embedded agent is added here.
/// </summary>
internal sealed partial class ServerHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ILoggerFactory _bootstrapLoggers;
    private readonly ILogger<ServerHost> _logger;

    public ServerHost(ServerOptions options)
    {
        _options = options;
        // The PKI is prepared before the web host exists; this factory gives those steps the same log format.
        _bootstrapLoggers = LoggerFactory.Create(logging => SkiffLogging.Configure(logging, options.LogLevel));
        _logger = _bootstrapLoggers.CreateLogger<ServerHost>();
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = new DataDirectory(_options.DataDirectory);
        var pki = new ClusterPki(dataDirectory, TimeProvider.System, _bootstrapLoggers.CreateLogger<ClusterPki>());
        ServingNames servingNames = ServingNames.For(
            Dns.GetHostName(), _options.ServiceCidr, _options.ClusterDomain, ServingNames.MachineAddresses());
        using ServerCredentials credentials = pki.Ensure(_options, servingNames);
        // The embedded agent's kubelet serves 10250 with a certificate for this node's name and address, signed by the cluster CA.
        using X509Certificate2? kubeletServing = _options.DisableAgent
            ? null
            : pki.EnsureKubeletServing(credentials.Ca, _options.NodeName, ClusterPki.KubeletNames(
                _options.NodeName, Dns.GetHostName(), [NodeAddresses.NodeIp(_options.Node)]));

        using var serviceAccountKey = System.Security.Cryptography.RSA.Create();
        serviceAccountKey.ImportFromPem(await File.ReadAllTextAsync(dataDirectory.ServiceAccountKey, cancellationToken));
        await using WebApplication app = Build(dataDirectory, credentials, serviceAccountKey, kubeletServing);
        var readiness = app.Services.GetRequiredService<ClusterReadiness>();
        LogStarting(_logger, _options.BindAddress, _options.SecurePort, _options.NodeName);
        if (!_options.DisableAgent)
        {
            LogAgentEmbedded(_logger, _options.NodeName);
        }

        await app.RunAsync(cancellationToken);
        if (readiness.Failure is not null)
        {
            return SkiffCommandLine.Failure;
        }

        LogStopped(_logger);
        return SkiffCommandLine.Success;
    }

    public void Dispose() => _bootstrapLoggers.Dispose();

    private WebApplication Build(
        DataDirectory dataDirectory, ServerCredentials credentials, System.Security.Cryptography.RSA serviceAccountKey, X509Certificate2? kubeletServing)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        SkiffLogging.Configure(builder.Logging, _options.LogLevel);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (_options.BindAddress.Equals(IPAddress.Any))
            {
                // Like Go's listener on 0.0.0.0, accept IPv6 as well where the machine has it.
                kestrel.ListenAnyIP(_options.SecurePort, listen => listen.UseHttps(https => ConfigureHttps(https, credentials)));
            }
            else
            {
                kestrel.Listen(_options.BindAddress, _options.SecurePort, listen => listen.UseHttps(https => ConfigureHttps(https, credentials)));
            }
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));

        builder.Services.AddSingleton(_options);
        builder.Services.AddSingleton(credentials);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClusterReadiness>();
        builder.Services.AddSkiffStore(store =>
        {
            store.Endpoint = _options.DatastoreEndpoint;
            store.EtcdPrefix = _options.EtcdPrefix;
        });
        builder.Services.AddSkiffApiServer(api =>
        {
            api.ServiceCidr = _options.ServiceCidr;
            api.ClusterCidr = _options.ClusterCidr;
            api.ClusterDns = _options.ClusterDns;
            api.ClusterDomain = _options.ClusterDomain;
            api.SecurePort = _options.SecurePort;
            api.AdvertiseAddress = AdvertiseAddress(_options);
            api.ServiceAccountKey = serviceAccountKey;
            api.ServiceAccountIssuer = $"https://kubernetes.default.svc.{_options.ClusterDomain}";
            // pods/log, exec, attach and portforward reach kubelets with this certificate; kubelets' serving certificates must chain to the cluster CA.
            api.KubeletClientCertificate = PemFiles.ReadCertificateWithKey(
                dataDirectory.ClientCertificate(ClusterPki.KubeletClientFileName), dataDirectory.ClientKey(ClusterPki.KubeletClientFileName));
            api.KubeletCertificateAuthority = X509CertificateLoader.LoadCertificate(credentials.Ca.RawData);
            api.AuditPolicy = _options.AuditPolicy;
            api.AuditLogPath = _options.AuditLogPath;
            api.AuditLogMaxSize = _options.AuditLogMaxSize;
            api.AuditLogMaxBackup = _options.AuditLogMaxBackup;
            api.EncryptionConfiguration = _options.EncryptionConfiguration;
        });
        if (!_options.DisableControllerManager)
        {
            builder.Services.AddSkiffControlPlane(controlPlane =>
            {
                controlPlane.Client = ComponentClient("kube-controller-manager", dataDirectory, credentials, _options);
                controlPlane.Identity = $"{Dns.GetHostName()}_{Guid.NewGuid()}";
                controlPlane.CaPem = credentials.CaPem;
                controlPlane.ClusterCidr = _options.ClusterCidr;
                controlPlane.LoadBalancerPool = _options.ServiceLoadBalancerPool;
                controlPlane.NodeCidrMaskSize = _options.NodeCidrMaskSize;
                controlPlane.NodeMonitorGracePeriod = _options.NodeMonitorGracePeriod;
                controlPlane.TerminatedPodGCThreshold = _options.TerminatedPodGCThreshold;
            });
            builder.Services.AddOptions<ControlPlaneOptions>().Configure<ClusterReadiness>(
                (controlPlane, readiness) => controlPlane.WaitForApiAsync = token => readiness.WaitAsync(ClusterMilestone.ApiReady, token));
        }

        if (!_options.DisableScheduler)
        {
            builder.Services.AddSkiffScheduler(scheduler =>
            {
                scheduler.Client = ComponentClient("kube-scheduler", dataDirectory, credentials, _options);
                scheduler.Identity = $"{Dns.GetHostName()}_{Guid.NewGuid()}";
                if (_options.SchedulerConfiguration is { } configuration)
                {
                    scheduler.Profiles = configuration.BuildProfiles;
                    scheduler.Parallelism = configuration.Parallelism;
                }
            });
            builder.Services.AddOptions<SchedulerOptions>().Configure<ClusterReadiness>(
                (scheduler, readiness) => scheduler.WaitForApiAsync = token => readiness.WaitAsync(ClusterMilestone.ApiReady, token));
        }

        builder.Services.AddSingleton<ITokenAuthenticator, JoinTokenAuthenticator>();
        builder.Services.AddHostedService<StoreReadinessService>();
        builder.Services.AddHostedService<ApiReadinessService>();
        if (kubeletServing is not null)
        {
            // Registered last, so it stops first: the kubelet ends (and then containerd) while the API server still answers.
            AddEmbeddedAgent(builder.Services, dataDirectory, credentials, kubeletServing);
        }

        WebApplication app = builder.Build();
        app.MapHealthEndpoints();
        app.MapJoinEndpoints();
        app.MapSkiffApi();
        return app;
    }

    private void AddEmbeddedAgent(IServiceCollection services, DataDirectory dataDirectory, ServerCredentials credentials, X509Certificate2 kubeletServing)
    {
        int maskSize = _options.NodeCidrMaskSize;
        services.AddSingleton(provider => new NodeAgentSetup
        {
            NodeName = _options.NodeName,
            Settings = _options.Node,
            DataDirectory = dataDirectory,
            // k3s labels its servers' nodes so; kubectl shows the role.
            Labels = new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "true" },
            FallbackPodCidr = NodeAddresses.FirstPodCidr(_options.ClusterCidr, maskSize),
            PodCidrWait = _options.DisableControllerManager ? TimeSpan.Zero : TimeSpan.FromSeconds(30),
            CredentialsAsync = async token =>
            {
                await provider.GetRequiredService<ClusterReadiness>().WaitAsync(ClusterMilestone.ApiReady, token);
                return new NodeAgentCredentials(
                    ComponentClient(ClusterPki.NodeIdentity(_options.NodeName).FileName, dataDirectory, credentials, _options),
                    kubeletServing,
                    X509CertificateLoader.LoadCertificate(credentials.Ca.RawData));
            },
        });
        services.AddHostedService<NodeAgentService>();
    }

    /// <summary>
    /// A control-plane component's client (k3s' habit): HTTPS to this server over loopback, trusting only the cluster CA and
    /// presenting the component's own certificate (<c>system:kube-controller-manager</c>, <c>system:kube-scheduler</c>), so it
    /// passes authentication like any other client.
    /// </summary>
    private static KubernetesClientConfiguration ComponentClient(string name, DataDirectory dataDirectory, ServerCredentials credentials, ServerOptions options)
    {
        IPAddress address = options.BindAddress.Equals(IPAddress.Any) || options.BindAddress.Equals(IPAddress.IPv6Any)
            ? IPAddress.Loopback
            : options.BindAddress;
        return new KubernetesClientConfiguration
        {
            Host = new UriBuilder(Uri.UriSchemeHttps, address.ToString(), options.SecurePort).Uri.GetLeftPart(UriPartial.Authority),
            SslCaCerts = [X509CertificateLoader.LoadCertificate(credentials.Ca.RawData)],
            ClientCertificateData = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(dataDirectory.ClientCertificate(name)))),
            ClientCertificateKeyData = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(File.ReadAllText(dataDirectory.ClientKey(name)))),
        };
    }

    /// <summary>The address the <c>kubernetes</c> endpoints name: the bind address, or the machine's first address when it binds every one.</summary>
    private static IPAddress AdvertiseAddress(ServerOptions options)
    {
        if (!options.BindAddress.Equals(IPAddress.Any) && !options.BindAddress.Equals(IPAddress.IPv6Any))
        {
            return options.BindAddress;
        }

        return ServingNames.MachineAddresses().FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }

    private static void ConfigureHttps(HttpsConnectionAdapterOptions https, ServerCredentials credentials)
    {
        https.ServerCertificate = credentials.Serving;
        // Anonymous clients may reach /healthz, /cacerts and the join endpoint; a client that does present a certificate must
        // present one our CA signed, or the handshake fails.
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        https.ClientCertificateValidation = (certificate, _, _) => credentials.Trust.IsIssuedByCa(certificate);
    }
}
