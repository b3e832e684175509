using System.Net;
using k8s.Autorest;

namespace Skiff.Agent.Tests.Kubelet;

/// <summary>The kubelet tests' polling: read every 100 ms until a value is there (and done), until the test's token cancels.</summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T?>> read, Func<T, bool> done, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        while (true)
        {
            T? value = await read(cancellationToken);
            if (value is not null && done(value))
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    public static Task<T> UntilAsync<T>(Func<CancellationToken, Task<T?>> read, CancellationToken cancellationToken)
        where T : class => UntilAsync(read, _ => true, cancellationToken);

    /// <summary>The object <paramref name="read"/> returns, or null when the API answers 404.</summary>
    public static async Task<T?> NullIfNotFoundAsync<T>(Func<Task<T>> read)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
