using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// pods/log, exec, attach and portforward: finds the pod's node, its InternalIP and kubelet port (status.daemonEndpoints),
/// and forwards the request to that kubelet over TLS with the API server's kubelet-client certificate. Logs are streamed
/// back chunk by chunk; exec, attach and port-forward upgrades (WebSocket or SPDY) are spliced byte for byte once the
/// kubelet answers 101.
/// </summary>
internal sealed partial class KubeletProxy : IDisposable
{
    private const int DefaultKubeletPort = 10250;

    // Upstream's --kubelet-preferred-address-types, as k3s orders them.
    private static readonly string[] s_addressTypes = ["InternalIP", "Hostname", "ExternalIP"];

    private readonly ObjectRegistry _registry;
    private readonly ResourceInfo _pods;
    private readonly ResourceInfo _nodes;
    private readonly X509Certificate2? _clientCertificate;
    private readonly X509Certificate2? _kubeletCa;
    private readonly HttpClient? _http;
    private readonly ILogger<KubeletProxy> _logger;

    public KubeletProxy(ObjectRegistry registry, ResourceCatalog catalog, IOptions<ApiServerOptions> options, ILogger<KubeletProxy> logger)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry;
        _logger = logger;
        _pods = catalog.Find(string.Empty, "v1", "pods") ?? throw new InvalidOperationException("the catalog has no pods");
        _nodes = catalog.Find(string.Empty, "v1", "nodes") ?? throw new InvalidOperationException("the catalog has no nodes");
        _clientCertificate = options.Value.KubeletClientCertificate;
        _kubeletCa = options.Value.KubeletCertificateAuthority;
        if (_clientCertificate is not null)
        {
            var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
            handler.SslOptions.ClientCertificates = [_clientCertificate];
            handler.SslOptions.RemoteCertificateValidationCallback = ValidateKubelet;
            // A followed log stays open as long as the client reads it.
            _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    /// <summary>Serves pods/{log,exec,attach,portforward} for an authorized request.</summary>
    public async Task ServeAsync(HttpContext context, RequestInfo request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        string subresource = request.Subresource!;
        bool isLog = subresource == "log";
        if (isLog ? request.Verb != "get" : request.Verb is not ("get" or "create"))
        {
            throw ApiErrors.MethodNotSupported(string.Empty, "pods/" + subresource, request.Verb);
        }

        if (_http is null)
        {
            throw ApiErrors.ServiceUnavailable($"pods/{subresource} needs a kubelet client certificate, which this server was not given");
        }

        JsonObject pod = await _registry.GetAsync(_pods, request.Namespace, request.Name!, context.RequestAborted);
        string? container = subresource == "portforward" ? null : PodContainers.Resolve(pod, context.Request.Query["container"]);
        string nodeName = pod["spec"]?["nodeName"]?.GetValue<string>() ?? string.Empty;
        if (nodeName.Length == 0)
        {
            throw ApiErrors.BadRequest($"pod {request.Name} does not have a host assigned");
        }

        (string host, int port) = await LocateAsync(nodeName, context.RequestAborted);
        string path = subresource switch
        {
            "log" => $"/containerLogs/{request.Namespace}/{request.Name}/{container}",
            "exec" => $"/exec/{request.Namespace}/{request.Name}/{container}",
            "attach" => $"/attach/{request.Namespace}/{request.Name}/{container}",
            _ => $"/portForward/{request.Namespace}/{request.Name}",
        };
        string query = KubeletQuery(context.Request.Query, subresource);
        LogForwarding(_logger, subresource, request.Namespace ?? string.Empty, request.Name!, nodeName, host, port);
        if (isLog)
        {
            await ProxyLogAsync(context, host, port, path + query);
        }
        else
        {
            await ProxyUpgradeAsync(context, host, port, path + query);
        }
    }

    public void Dispose() => _http?.Dispose();

    /// <summary>The node's address (InternalIP, else Hostname, else ExternalIP) and kubelet port (daemonEndpoints, else 10250).</summary>
    private async Task<(string Host, int Port)> LocateAsync(string nodeName, CancellationToken cancellationToken)
    {
        JsonObject node = await _registry.GetAsync(_nodes, null, nodeName, cancellationToken);
        var addresses = (node["status"]?["addresses"] as JsonArray ?? [])
            .Select(a => (Type: a?["type"]?.GetValue<string>(), Address: a?["address"]?.GetValue<string>()))
            .Where(a => !string.IsNullOrEmpty(a.Address))
            .ToList();
        string? host = s_addressTypes
            .Select(type => addresses.FirstOrDefault(a => a.Type == type).Address)
            .FirstOrDefault(a => a is not null);
        if (host is null)
        {
            throw ApiErrors.ServiceUnavailable($"node {nodeName} reports no address to reach its kubelet at");
        }

        int port = node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.GetValue<int>() ?? 0;
        return (host, port > 0 ? port : DefaultKubeletPort);
    }

    /// <summary>
    /// The query the kubelet gets: the client's, without container (it is in the path), plus upstream's kubelet names for the
    /// stream flags (stdin → input, stdout → output, stderr → error; ports → port) so either spelling is understood.
    /// </summary>
    internal static string KubeletQuery(IQueryCollection query, string subresource)
    {
        ArgumentNullException.ThrowIfNull(query);
        var parts = new List<string>();
        foreach ((string key, Microsoft.Extensions.Primitives.StringValues values) in query)
        {
            if (key == "container")
            {
                continue;
            }

            foreach (string? value in values)
            {
                parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value ?? string.Empty));
                string? kubeletName = (subresource, key) switch
                {
                    ("exec" or "attach", "stdin") => "input",
                    ("exec" or "attach", "stdout") => "output",
                    ("exec" or "attach", "stderr") => "error",
                    ("portforward", "ports") => "port",
                    _ => null,
                };
                if (kubeletName is not null && !query.ContainsKey(kubeletName))
                {
                    string translated = subresource == "portforward" ? value ?? string.Empty : IsTrue(value) ? "1" : "0";
                    parts.Add(kubeletName + "=" + Uri.EscapeDataString(translated));
                }
            }
        }

        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    private static bool IsTrue(string? value) => value is "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>GET the kubelet's containerLogs and copy its body to the client as it arrives; a kubelet error becomes a Status.</summary>
    private async Task ProxyLogAsync(HttpContext context, string host, int port, string pathAndQuery)
    {
        var uri = new Uri($"https://{HostForUri(host)}:{port.ToString(CultureInfo.InvariantCulture)}{pathAndQuery}");
        using var message = new HttpRequestMessage(HttpMethod.Get, uri);
        HttpResponseMessage response;
        try
        {
            response = await _http!.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            throw KubeletUnreachable(host, port, e);
        }

        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                string text = await response.Content.ReadAsStringAsync(context.RequestAborted);
                throw FromKubelet((int)response.StatusCode, text);
            }

            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/plain";
            await context.Response.StartAsync(context.RequestAborted);
            await using Stream body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            byte[] buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                // The kubelet went away mid-stream: the client sees the stream end, as with upstream.
                LogStreamBroken(_logger, pathAndQuery, e);
            }
        }
    }

    /// <summary>A kubelet's error answer as a Status: its code, the matching reason, and its text as the message.</summary>
    internal static StatusException FromKubelet(int code, string text)
    {
        string message = text.Trim();
        if (message.Length == 0)
        {
            message = $"the kubelet responded with the status code {code} but did not return more information";
        }

        string reason = code switch
        {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => "Unknown",
        };
        return new StatusException(code, reason, message);
    }

    private static StatusException KubeletUnreachable(string host, int port, Exception e) =>
        new(502, "ServiceUnavailable", $"error dialing backend: the kubelet at {host}:{port} is unreachable: {e.Message}");

    private static string HostForUri(string host) => IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host;

    /// <summary>The kubelet's serving certificate must chain to the configured CA and name the address dialled; without a CA any is accepted.</summary>
    private bool ValidateKubelet(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_kubeletCa is null)
        {
            return true;
        }

        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_kubeletCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using X509Certificate2 presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(presented);
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);
}
