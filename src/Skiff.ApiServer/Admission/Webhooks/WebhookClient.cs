using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// POSTs AdmissionReviews to webhooks over HTTPS. The server certificate must chain to the webhook's caBundle (the system
/// roots when it is empty) and name the host dialled: the URL's host, or <c>&lt;service&gt;.&lt;namespace&gt;.svc</c> for a
/// Service, which is sent as SNI while the connection goes to a ready pod endpoint (<see cref="ServiceEndpointResolver"/>).
/// One HTTP client (and connection pool) per caBundle and form, kept for the server's life.
/// </summary>
internal sealed class WebhookClient(ServiceEndpointResolver resolver, TimeProvider timeProvider) : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    /// <summary>The URL the review is posted to, with upstream's <c>?timeout=</c> query.</summary>
    public static Uri Url(CompiledWebhook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        string timeout = "?timeout=" + ((int)hook.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        if (hook.Definition.ClientConfig?.Url is { } url)
        {
            return new Uri(url + timeout);
        }

        k8s.Models.Admissionregistrationv1ServiceReference service = hook.Definition.ClientConfig?.Service
            ?? throw new WebhookCallException("webhook has neither a url nor a service");
        int port = service.Port ?? WebhookDefinition.DefaultServicePort;
        string path = string.IsNullOrEmpty(service.Path) ? "/" : service.Path;
        return new Uri($"https://{service.Name}.{service.NamespaceProperty}.svc:{port.ToString(CultureInfo.InvariantCulture)}{path}{timeout}");
    }

    /// <summary>Sends <paramref name="review"/> and returns the webhook's answer as JSON; throws <see cref="WebhookCallException"/>.</summary>
    public async Task<JsonObject> CallAsync(CompiledWebhook hook, JsonObject review, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Uri url = Url(hook);
        HttpClient client = Client(hook);
        using var deadline = new CancellationTokenSource(hook.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        string post = $"failed to call webhook: Post \"{url}\": ";
        try
        {
            byte[] payload = JsonSerializer.SerializeToUtf8Bytes(review);
            (HttpStatusCode status, byte[] body) = await PostAsync(client, url, payload, linked.Token);
            if ((int)status is < 200 or > 299)
            {
                string text = Encoding.UTF8.GetString(body).Trim();
                throw new WebhookCallException(text.Length == 0
                    ? $"failed to call webhook: the server responded with the status code {(int)status} but did not return more information"
                    : $"failed to call webhook: an error on the server (\"{text}\") has prevented the request from succeeding");
            }

            try
            {
                return JsonNode.Parse(body) as JsonObject ?? throw new WebhookCallException("received invalid webhook response: the response is not a JSON object");
            }
            catch (JsonException ex)
            {
                throw new WebhookCallException("received invalid webhook response: " + ex.Message, ex);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WebhookCallException(post + "context deadline exceeded", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new WebhookCallException(post + Describe(ex, url), ex);
        }
    }

    /// <summary>
    /// One POST. A connection the webhook closed while it sat in the pool (an HTTP/1.0 server, an idle timeout) surfaces
    /// as a response that ended before it began; that is sent once more on a fresh connection, as Go's transport retries
    /// on a closed idle connection. Webhooks must be free of side effects (sideEffects None), so a repeat is harmless.
    /// </summary>
    private static async Task<(HttpStatusCode Status, byte[] Body)> PostAsync(HttpClient client, Uri url, byte[] payload, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            try
            {
                using HttpResponseMessage response = await client.PostAsync(url, content, cancellationToken);
                return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(cancellationToken));
            }
            catch (HttpRequestException ex) when (attempt == 0 && ex.HttpRequestError == HttpRequestError.ResponseEnded)
            {
                // The loop sends it again; the pool has dropped the dead connection.
            }
        }
    }

    public void Dispose()
    {
        foreach (HttpClient client in _clients.Values)
        {
            client.Dispose();
        }

        _clients.Clear();
    }

    /// <summary>Go's words for the usual failures, so messages read as upstream's.</summary>
    private static string Describe(HttpRequestException error, Uri url)
    {
        for (Exception? inner = error; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case WebhookCallException resolution:
                    return resolution.Message;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return $"dial tcp {url.Authority}: connect: connection refused";
                case AuthenticationException:
                    return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
            }
        }

        return error.InnerException?.Message ?? error.Message;
    }

    private HttpClient Client(CompiledWebhook hook)
    {
        byte[] bundle = hook.Definition.ClientConfig?.CaBundle ?? [];
        bool service = hook.Definition.ClientConfig?.Url is null;
        string key = (service ? "service:" : "url:") + Convert.ToBase64String(SHA256.HashData(bundle));
        return _clients.GetOrAdd(key, _ => Create(bundle, service));
    }

    private HttpClient Create(byte[] bundle, bool service)
    {
        X509Certificate2Collection? roots = null;
        if (bundle.Length > 0)
        {
            roots = [];
            roots.ImportFromPem(Encoding.UTF8.GetString(bundle));
        }

        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, roots),
            },
        };
        if (service)
        {
            handler.ConnectCallback = ConnectToServiceAsync;
        }

        // A webhook's answer is bounded like a request body: a larger one fails the call (and its failurePolicy decides).
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = Endpoints.BodyReader.MaxBodyBytes };
    }

    /// <summary>Dials the pod behind <c>&lt;service&gt;.&lt;namespace&gt;.svc</c>; TLS still checks that name.</summary>
    private async ValueTask<Stream> ConnectToServiceAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string[] parts = context.DnsEndPoint.Host.Split('.');
        if (parts.Length != 3 || parts[2] != "svc")
        {
            throw new WebhookCallException($"{context.DnsEndPoint.Host} is not a service host");
        }

        IPEndPoint target = resolver.Resolve(parts[1], parts[0], context.DnsEndPoint.Port);
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool Trusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }

        if (roots is null)
        {
            return errors == SslPolicyErrors.None;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using X509Certificate2 leaf = certificate as X509Certificate2 is { } typed ? X509CertificateLoader.LoadCertificate(typed.RawData) : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
