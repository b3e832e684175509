using System.Net;
using k8s;
using Skiff.Commands;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>
/// <c>skiff agent</c>'s composition: join the server (or reuse the stored credentials), then run containerd and the kubelet
/// (<see cref="NodeAgentService"/>) until SIGTERM.
/// </summary>
internal sealed class AgentHost
{
    private readonly AgentOptions _options;
    private readonly TextWriter _error;

    public AgentHost(AgentOptions options, TextWriter error)
    {
        _options = options;
        _error = error;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        SkiffLogging.Configure(builder.Logging, _options.LogLevel);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(_options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new DataDirectory(_options.DataDirectory));
        builder.Services.AddSingleton<AgentJoinService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AgentJoinService>());
        var dataDirectory = new DataDirectory(_options.DataDirectory);
        builder.Services.AddSingleton(services => new NodeAgentSetup
        {
            NodeName = _options.NodeName,
            Settings = _options.Node,
            DataDirectory = dataDirectory,
            // The agent cannot know the server's --cluster-cidr; this is only used when no controller manager assigns a CIDR.
            FallbackPodCidr = IPNetwork.Parse("10.42.0.0/24"),
            PodCidrWait = TimeSpan.FromSeconds(60),
            CredentialsAsync = async token =>
            {
                await services.GetRequiredService<AgentJoinService>().Joined.WaitAsync(token);
                return new NodeAgentCredentials(
                    KubernetesClientConfiguration.BuildConfigFromConfigFile(dataDirectory.AgentKubeconfig),
                    PemFiles.ReadCertificateWithKey(dataDirectory.AgentKubeletServingCertificate, dataDirectory.AgentKubeletServingKey),
                    PemFiles.ReadCertificate(dataDirectory.AgentCaCertificate));
            },
        });
        builder.Services.AddHostedService<NodeAgentService>();

        using IHost host = builder.Build();
        // RunAsync disposes the host's services, so keep the join service to read its outcome afterwards.
        AgentJoinService join = host.Services.GetRequiredService<AgentJoinService>();
        await host.RunAsync(cancellationToken);
        string? failure = join.Failure;
        if (failure is not null)
        {
            await _error.WriteLineAsync($"skiff: {failure}");
            return SkiffCommandLine.Failure;
        }

        return SkiffCommandLine.Success;
    }
}
