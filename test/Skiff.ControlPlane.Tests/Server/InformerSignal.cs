using k8s;
using k8s.Models;
using Skiff.Machinery.Informers;

namespace Skiff.ControlPlane.Tests.Server;

/// <summary>
/// How the server tests wait for controllers without sleeping: informer handlers release a semaphore on every event, and a
/// condition over the caches is re-checked after each one (the test's timeout token bounds the wait).
/// </summary>
internal static class InformerSignal
{
    /// <summary>A handler that releases <paramref name="changed"/> on every add, update and delete.</summary>
    public static InformerHandler<T> Signal<T>(SemaphoreSlim changed)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        new(_ => changed.Release(), (_, _) => changed.Release(), _ => changed.Release());

    public static Task WaitUntilAsync(SemaphoreSlim changed, Func<bool> condition, CancellationToken token) =>
        WaitUntilAsync(changed, () => Task.FromResult(condition()), token);

    public static async Task WaitUntilAsync(SemaphoreSlim changed, Func<Task<bool>> condition, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(condition);
        while (!await condition())
        {
            await changed.WaitAsync(token);
        }
    }
}
