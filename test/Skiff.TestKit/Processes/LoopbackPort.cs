using System.Net;
using System.Net.Sockets;

namespace Skiff.TestKit.Processes;

/// <summary>Free TCP ports on 127.0.0.1 for child processes that must be told their port up front.</summary>
public static class LoopbackPort
{
    private const int StartAttempts = 3;

    /// <summary>
    /// A port that was free a moment ago (found by binding port 0). Another process can take it before the child binds it,
    /// so a caller starts the child through <see cref="RetryStartAsync{T}"/>.
    /// </summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Runs <paramref name="start"/> (which picks fresh ports with <see cref="Free"/> each time and disposes what it started when
    /// it fails) again when the child exited while starting, the sign that another process took a port first.
    /// </summary>
    public static async Task<T> RetryStartAsync<T>(Func<CancellationToken, Task<T>> start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await start(cancellationToken);
            }
            catch (ChildProcessExitedException) when (attempt < StartAttempts)
            {
                // Try again on new ports.
            }
        }
    }
}
