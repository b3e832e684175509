using Microsoft.Extensions.Hosting;

namespace Skiff.Agent.Kubelet.Server;

/// <summary>
/// A host lifetime that ties nothing to the process: the kubelet server's web host is started and stopped by the kubelet,
/// while the process's signals belong to the host around it (the default console lifetime would stop on SIGTERM by itself).
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
