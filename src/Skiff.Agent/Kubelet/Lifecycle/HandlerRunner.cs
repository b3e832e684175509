using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Grpc.Core;
using k8s.Models;
using Skiff.Agent.Runtime;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Lifecycle;

/// <summary>
/// Runs one probe or lifecycle-hook handler against a container: exec through CRI ExecSync (exit 0 succeeds), httpGet to
/// the pod IP (200–399 succeeds; redirects are not followed and count as success, as 3xx does upstream), tcpSocket (the
/// connection opens) and, for hooks, sleep. Every run is bounded by its timeout.
/// </summary>
internal sealed class HandlerRunner : IDisposable
{
    private readonly CriClient _cri;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;

    public HandlerRunner(CriClient cri, TimeProvider timeProvider)
    {
        _cri = cri;
        _time = timeProvider;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            // Probes and hooks do not verify serving certificates, as upstream's (InsecureSkipVerify): a pod's certificate names
            // its service, never the pod IP the kubelet dials.
#pragma warning disable CA5359
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The probe's handler; a probe with no supported handler (grpc) succeeds, so it never kills or unreadies anything.</summary>
    public Task<HandlerResult> RunProbeAsync(V1Container container, string containerId, string? podIp, V1Probe probe, CancellationToken cancellationToken)
    {
        TimeSpan timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        return RunAsync(container, containerId, podIp, probe.Exec, probe.HttpGet, probe.TcpSocket, null, timeout, cancellationToken);
    }

    /// <summary>A postStart or preStop handler, bounded by <paramref name="timeout"/> (the grace period for preStop).</summary>
    public Task<HandlerResult> RunHookAsync(V1Container container, string containerId, string? podIp, V1LifecycleHandler handler, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        RunAsync(container, containerId, podIp, handler.Exec, handler.HttpGet, handler.TcpSocket, handler.Sleep, timeout, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<HandlerResult> RunAsync(V1Container container, string containerId, string? podIp, V1ExecAction? exec, V1HTTPGetAction? httpGet,
        V1TCPSocketAction? tcp, V1SleepAction? sleep, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bounded = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bounded.Token);
        try
        {
            if (exec is not null)
            {
                return await ExecAsync(containerId, exec, timeout, cancellationToken).ConfigureAwait(false);
            }

            if (httpGet is not null)
            {
                return await HttpGetAsync(container, podIp, httpGet, linked.Token).ConfigureAwait(false);
            }

            if (tcp is not null)
            {
                string host = string.IsNullOrEmpty(tcp.Host) ? podIp ?? "" : tcp.Host;
                int port = ResolvePort(container, tcp.Port);
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
                return HandlerResult.Success;
            }

            if (sleep is not null)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, sleep.Seconds)), _time, linked.Token).ConfigureAwait(false);
                return HandlerResult.Success;
            }

            return HandlerResult.Success;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HandlerResult.Fail("timeout after " + RestartBackOff.GoDuration(timeout));
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or IOException or FormatException or ArgumentException or InvalidOperationException)
        {
            return HandlerResult.Fail(e.Message);
        }
    }

    private async Task<HandlerResult> ExecAsync(string containerId, V1ExecAction exec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ExecSyncRequest { ContainerId = containerId, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
        request.Cmd.AddRange(exec.Command ?? []);
        try
        {
            // The runtime enforces the timeout; the gRPC deadline only guards against a runtime that does not answer.
            ExecSyncResponse response = await _cri.Runtime.ExecSyncAsync(request, _cri.Options(cancellationToken, timeout + TimeSpan.FromSeconds(5)))
                .ConfigureAwait(false);
            if (response.ExitCode == 0)
            {
                return HandlerResult.Success;
            }

            string output = (response.Stdout.ToString(Encoding.UTF8) + response.Stderr.ToString(Encoding.UTF8)).Trim();
            return HandlerResult.Fail(output.Length > 0 ? output : "command exited with " + response.ExitCode.ToString(CultureInfo.InvariantCulture));
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return HandlerResult.Fail(e.StatusCode == StatusCode.DeadlineExceeded ? "command timed out" : e.Status.Detail);
        }
    }

    private async Task<HandlerResult> HttpGetAsync(V1Container container, string? podIp, V1HTTPGetAction action, CancellationToken cancellationToken)
    {
        string scheme = string.Equals(action.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        string host = string.IsNullOrEmpty(action.Host) ? podIp ?? "" : action.Host;
        int port = ResolvePort(container, action.Port);
        string path = string.IsNullOrEmpty(action.Path) ? "/" : action.Path.StartsWith('/') ? action.Path : "/" + action.Path;
        var uri = new Uri(scheme + "://" + (host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture) + path);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
        request.Headers.TryAddWithoutValidation("Accept", "*/*");
        foreach (V1HTTPHeader header in action.HttpHeaders ?? [])
        {
            if (string.Equals(header.Name, "Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = header.Value;
                continue;
            }

            request.Headers.Remove(header.Name);
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        int code = (int)response.StatusCode;
        return ProbeCounter.IsHttpSuccess(code)
            ? HandlerResult.Success
            : HandlerResult.Fail("HTTP probe failed with statuscode: " + code.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A numeric port, or the containerPort of the container's port with that name.</summary>
    internal static int ResolvePort(V1Container container, IntOrString? port)
    {
        string text = port?.Value ?? "";
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
        {
            return number is > 0 and < 65536 ? number : throw new ArgumentException("invalid port " + text);
        }

        V1ContainerPort? named = container.Ports?.FirstOrDefault(p => p.Name == text);
        return named?.ContainerPort ?? throw new ArgumentException("port " + text + " is not a named port of container " + container.Name);
    }
}

/// <summary>The outcome of one handler run.</summary>
internal sealed record HandlerResult(bool Succeeded, string Message)
{
    public static HandlerResult Success { get; } = new(true, "");

    public static HandlerResult Fail(string message) => new(false, message);
}
