using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Skiff.Bench.Api;

/// <summary>
/// Raw HTTPS requests to the API server with the admin client certificate from <c>admin.kubeconfig</c>. The kubeconfig is read
/// by the official client library (so the bench authenticates exactly as a .NET client would), but requests bypass its typed
/// API: on two shared cores the library's model (de)serialisation would be measured along with the server.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private const int DrainBufferBytes = 64 * 1024;
    private static readonly MediaTypeWithQualityHeaderValue s_json = new("application/json");
    private static readonly MediaTypeHeaderValue s_jsonBody = new("application/json");
    private static readonly MediaTypeHeaderValue s_mergePatchBody = new("application/merge-patch+json");

    private readonly HttpClient _http;
    private readonly X509Certificate2 _clientCertificate;

    private ApiClient(HttpClient http, X509Certificate2 clientCertificate, KubernetesClientConfiguration configuration)
    {
        _http = http;
        _clientCertificate = clientCertificate;
        Configuration = configuration;
    }

    public KubernetesClientConfiguration Configuration { get; }

    /// <param name="kubeconfig">The server's <c>admin.kubeconfig</c>.</param>
    /// <param name="http2">HTTP/2 (streams multiplexed over few connections) instead of HTTP/1.1 (one connection per request in flight).</param>
    public static ApiClient Open(string kubeconfig, bool http2)
    {
        KubernetesClientConfiguration configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        // The kubeconfig embeds base64 PEM (client-certificate-data, client-key-data), as skiff writes it.
        X509Certificate2 certificate = X509Certificate2.CreateFromPem(
            Encoding.UTF8.GetString(Convert.FromBase64String(configuration.ClientCertificateData ?? throw new InvalidOperationException($"{kubeconfig} has no client-certificate-data"))),
            Encoding.UTF8.GetString(Convert.FromBase64String(configuration.ClientCertificateKeyData ?? throw new InvalidOperationException($"{kubeconfig} has no client-key-data"))));
        X509Certificate2Collection authorities = configuration.SslCaCerts ?? [];
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            // Kestrel allows 100 streams per HTTP/2 connection; more watchers than that need more connections.
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, errors) => IsIssuedBy(presented, errors, authorities),
            },
        };
        var http = new HttpClient(handler)
        {
            BaseAddress = new Uri(configuration.Host),
            DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return new ApiClient(http, certificate, configuration);
    }

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, keepBody: false, cancellationToken);

    public Task<ApiResponse> GetWithBodyAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, null, keepBody: true, cancellationToken);

    public Task<ApiResponse> CreateAsync(string path, byte[] json, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, json, s_jsonBody, keepBody: false, cancellationToken);

    public Task<ApiResponse> MergePatchAsync(string path, byte[] json, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, path, json, s_mergePatchBody, keepBody: false, cancellationToken);

    public Task<ApiResponse> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, path, null, null, keepBody: false, cancellationToken);

    /// <summary>Starts a streaming GET (a watch) and returns once the response headers arrived; the caller reads and disposes the body.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(s_json);
        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        }

        return response;
    }

    /// <summary>
    /// Sends one request and reads the whole response body (so a latency covers the last byte), returning the status and size.
    /// Failures are returned, not thrown: under load the phase counts them.
    /// </summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, byte[]? json, MediaTypeHeaderValue? contentType, bool keepBody, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(s_json);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json);
            request.Content.Headers.ContentType = contentType;
        }

        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (keepBody || !response.IsSuccessStatusCode)
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return new ApiResponse((int)response.StatusCode, body.Length, body);
        }

        await using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(DrainBufferBytes);
        try
        {
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }

            return new ApiResponse((int)response.StatusCode, total, null);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Like <see cref="SendAsync"/> but throws on a non-2xx answer: for setup steps, where a failure means the run is invalid.</summary>
    public static ApiResponse EnsureSuccess(ApiResponse response, string what)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccess)
        {
            string body = response.Body is null ? string.Empty : Encoding.UTF8.GetString(response.Body);
            throw new InvalidOperationException($"{what} answered {response.Status}: {body}");
        }

        return response;
    }

    public void Dispose()
    {
        _http.Dispose();
        _clientCertificate.Dispose();
    }

    private static bool IsIssuedBy(X509Certificate? presented, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        // The server certificate must name 127.0.0.1 and chain to the cluster CA from the kubeconfig, nothing else.
        if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var certificate = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        return chain.Build(certificate);
    }
}
