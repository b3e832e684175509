using System.Net;
using System.Net.Sockets;

namespace Skiff.TestKit.Processes;

/// <summary>Ports nobody listens on right now. Another process can still take one before the caller binds it, so start-up
/// failures in tests that use them should be read with that race in mind.</summary>
public static class FreePorts
{
    public static int Loopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
