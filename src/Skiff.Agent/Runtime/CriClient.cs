using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Runtime;

/// <summary>
/// A CRI v1 client on a runtime's unix socket (containerd's <c>containerd.sock</c>): the generated
/// <see cref="RuntimeService"/> and <see cref="ImageService"/> stubs over one HTTP/2 channel, and <see cref="Options"/> so
/// every call carries a deadline. The channel reconnects by itself after the runtime restarts.
/// </summary>
public sealed class CriClient : IDisposable
{
    private readonly GrpcChannel _channel;

    private CriClient(string socketPath, TimeSpan defaultTimeout)
    {
        SocketPath = socketPath;
        DefaultTimeout = defaultTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, cancellationToken) => ConnectAsync(socketPath, cancellationToken),
            // A dead connection is noticed between calls, not on the next call's deadline.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        // The host name is ignored: every connection goes to the socket.
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    /// <summary>The unix socket this client dials.</summary>
    public string SocketPath { get; }

    /// <summary>The deadline <see cref="Options"/> gives a call when none is asked for.</summary>
    public TimeSpan DefaultTimeout { get; }

    /// <summary>Sandboxes, containers, exec and runtime status.</summary>
    public RuntimeService.RuntimeServiceClient Runtime { get; }

    /// <summary>Image pulls, listing, status and removal.</summary>
    public ImageService.ImageServiceClient Images { get; }

    /// <summary>Creates a client for the CRI endpoint at <paramref name="socketPath"/>; nothing is dialled until the first call.</summary>
    public static CriClient Connect(string socketPath, TimeSpan? defaultTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        return new CriClient(socketPath, defaultTimeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Call options with a deadline of <paramref name="timeout"/> (else <see cref="DefaultTimeout"/>) from now.</summary>
    public CallOptions Options(CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        new(deadline: DateTime.UtcNow + (timeout ?? DefaultTimeout), cancellationToken: cancellationToken);

    /// <summary>
    /// True when the runtime answers <c>Version</c> and its <c>Status</c> reports RuntimeReady and NetworkReady; false while it
    /// is unreachable or still initialising. Each call is bounded by <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> IsReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Runtime.VersionAsync(new VersionRequest { Version = "v1" }, Options(cancellationToken, timeout)).ConfigureAwait(false);
            var status = await Runtime.StatusAsync(new StatusRequest(), Options(cancellationToken, timeout)).ConfigureAwait(false);
            return IsConditionTrue(status.Status, "RuntimeReady") && IsConditionTrue(status.Status, "NetworkReady");
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Unknown or StatusCode.DeadlineExceeded
                                         or StatusCode.Unimplemented or StatusCode.Internal)
        {
            // The socket accepts before the CRI plugin has loaded; the caller polls again.
            return false;
        }
    }

    /// <summary>Whether <paramref name="status"/> has condition <paramref name="type"/> set to true.</summary>
    public static bool IsConditionTrue(RuntimeStatus? status, string type) =>
        status?.Conditions.Any(c => c.Type == type && c.Status) ?? false;

    public void Dispose() => _channel.Dispose();

    private static async ValueTask<Stream> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
