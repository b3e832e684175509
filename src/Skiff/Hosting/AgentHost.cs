using Skiff.Commands;

namespace Skiff.Hosting;

/// <summary>
/// <c>skiff agent</c>'s composition: join the server (or reuse the stored credentials), then keep running until SIGTERM.
/// The kubelet and the other node components will be added here.
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
