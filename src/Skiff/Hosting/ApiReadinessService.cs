
namespace Skiff.Hosting;

/// <summary>
/// Reaches <see cref="ClusterMilestone.ApiReady"/> once the store is ready and Kestrel listens. The REST API is not served yet,
/// so this is when loopback clients can first connect.
/// </summary>
internal sealed class ApiReadinessService : BackgroundService
{
    private readonly ClusterReadiness _readiness;
    private readonly IHostApplicationLifetime _lifetime;

    public ApiReadinessService(ClusterReadiness readiness, IHostApplicationLifetime lifetime)
    {
        _readiness = readiness;
        _lifetime = lifetime;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
        try
        {
            await _readiness.WaitAsync(ClusterMilestone.StoreReady, stoppingToken);
        }
        catch (Exception) when (_readiness.Failure is not null)
        {
            // The service that failed has logged why and is stopping the host.
            return;
        }

        _readiness.Reach(ClusterMilestone.ApiReady);
    }
}
