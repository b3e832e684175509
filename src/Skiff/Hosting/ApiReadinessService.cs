using Skiff.ApiServer;

namespace Skiff.Hosting;

/// <summary>
/// Reaches <see cref="ClusterMilestone.ApiReady"/> once the store is ready, Kestrel listens and the API's watch cache holds
/// the store's content: from then on loopback clients get consistent answers.
/// </summary>
internal sealed class ApiReadinessService : BackgroundService
{
    private readonly ClusterReadiness _readiness;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServiceProvider _services;

    public ApiReadinessService(ClusterReadiness readiness, IHostApplicationLifetime lifetime, IServiceProvider services)
    {
        _readiness = readiness;
        _lifetime = lifetime;
        _services = services;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
        try
        {
            await _readiness.WaitAsync(ClusterMilestone.StoreReady, stoppingToken);
            await _services.WaitForApiReadyAsync(stoppingToken);
        }
        catch (Exception) when (_readiness.Failure is not null)
        {
            // The service that failed has logged why and is stopping the host.
            return;
        }

        _readiness.Reach(ClusterMilestone.ApiReady);
    }
}
