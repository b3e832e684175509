using System.Net;
using System.Net.Sockets;

namespace Skiff.TestKit.Processes;

/// <summary>Free TCP ports on 127.0.0.1 for child processes that must be told their port up front.</summary>
public static class LoopbackPort
{
    /// <summary>
    /// A port that was free a moment ago (found by binding port 0). Another process can take it before the child binds it,
    /// so a caller retries a failed start on a new port.
    /// </summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
