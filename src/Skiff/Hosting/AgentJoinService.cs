using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.Commands;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>
/// Joins the server: fetch the CA without trusting anything, check it against the token's hash, then, trusting only that CA,
/// send a CSR with the token and store the CA, key, certificate and a kubelet kubeconfig under <c>agent/</c>.
/// Stored credentials that still match the token and node are reused. A server that does not answer yet is retried.
/// </summary>
internal sealed partial class AgentJoinService : BackgroundService
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(15);

    private readonly AgentOptions _options;
    private readonly DataDirectory _dataDirectory;
    private readonly TimeProvider _timeProvider;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<AgentJoinService> _logger;

    public AgentJoinService(
        AgentOptions options, DataDirectory dataDirectory, TimeProvider timeProvider, IHostApplicationLifetime lifetime, ILogger<AgentJoinService> logger)
    {
        _options = options;
        _dataDirectory = dataDirectory;
        _timeProvider = timeProvider;
        _lifetime = lifetime;
        _logger = logger;
    }

    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why joining failed for good, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>Completes once the credentials under <c>agent/</c> are in place (joined or reused); cancelled when joining failed or stopped.</summary>
    public Task Joined => _joined.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            _dataDirectory.EnsureAgentLayout();
            if (TryReuseStoredCredentials())
            {
                LogReusedCredentials(_logger, _options.NodeName, _dataDirectory.AgentDirectory);
                _joined.TrySetResult();
                return;
            }

            await JoinWithRetriesAsync(stoppingToken);
            LogJoined(_logger, _options.NodeName, _options.Server);
            _joined.TrySetResult();
        }
        catch (OperationCanceledException)
        {
            _joined.TrySetCanceled(stoppingToken);
            throw;
        }
        catch (AgentJoinException e)
        {
            _joined.TrySetCanceled(CancellationToken.None);
            LogJoinFailed(_logger, e.Message);
            Failure = e.Message;
            _lifetime.StopApplication();
        }
    }

    private async Task JoinWithRetriesAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = s_firstRetry;
        while (true)
        {
            try
            {
                await JoinAsync(cancellationToken);
                return;
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            {
                LogServerUnreachable(_logger, _options.Server, delay, e.Message);
            }

            await Task.Delay(delay, _timeProvider, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
        }
    }

    private async Task JoinAsync(CancellationToken cancellationToken)
    {
        byte[] caBytes = await FetchCaAsync(cancellationToken);
        string caHash = JoinToken.HashCa(caBytes);
        if (caHash != _options.Token.CaHash)
        {
            throw new AgentJoinException(
                $"the CA served by {_options.Server} has SHA-256 {caHash} but the token expects {_options.Token.CaHash}; "
                + "the token belongs to another server or the connection is intercepted, so the agent refuses to join");
        }

        string caPem = System.Text.Encoding.UTF8.GetString(caBytes);
        using X509Certificate2 ca = X509Certificate2.CreateFromPem(caPem);
        var trust = new CaTrust(ca);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateIdentity identity = ClusterPki.NodeIdentity(_options.NodeName);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName(identity.Group!);
        subject.AddCommonName(identity.User);
        string csr = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        // The kubelet's serving certificate (port 10250) for this node's address, signed by the cluster CA at the same time.
        using ECDsa servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var servingSubject = new X500DistinguishedNameBuilder();
        servingSubject.AddCommonName(identity.User);
        string servingCsr = new CertificateRequest(servingSubject.Build(), servingKey, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        string nodeIp = NodeAddresses.NodeIp(_options.Node).ToString();

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            certificate is X509Certificate2 presented
            && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && trust.IsIssuedByCa(presented);
        using var client = new HttpClient(handler) { BaseAddress = _options.Server, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, JoinEndpoints.NodeCertificatePath)
        {
            Content = JsonContent.Create(new NodeCertificateRequest(_options.NodeName, csr, servingCsr, System.Net.Dns.GetHostName(), [nodeIp]), SkiffJsonContext.Default.NodeCertificateRequest),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.Token.ToString());
        using HttpResponseMessage response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string reason = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
            throw new AgentJoinException($"{_options.Server} refused the join ({(int)response.StatusCode}): {reason}");
        }

        NodeCertificateResponse? issued = await response.Content.ReadFromJsonAsync(SkiffJsonContext.Default.NodeCertificateResponse, cancellationToken);
        if (issued is null)
        {
            throw new AgentJoinException($"{_options.Server} answered the join with an empty body");
        }

        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(issued.Certificate);
        using X509Certificate2 withKey = certificate.CopyWithPrivateKey(key);
        if (!trust.IsIssuedByCa(certificate))
        {
            throw new AgentJoinException($"{_options.Server} returned a node certificate its own CA did not sign");
        }

        if (issued.ServingCertificate is null)
        {
            throw new AgentJoinException($"{_options.Server} issued no kubelet serving certificate; is it an older skiff server?");
        }

        using X509Certificate2 serving = X509Certificate2.CreateFromPem(issued.ServingCertificate);
        using X509Certificate2 servingWithKey = serving.CopyWithPrivateKey(servingKey);
        if (!trust.IsIssuedByCa(serving))
        {
            throw new AgentJoinException($"{_options.Server} returned a kubelet serving certificate its own CA did not sign");
        }

        DataDirectory.WritePublic(_dataDirectory.AgentCaCertificate, caPem);
        PemFiles.WriteCertificateWithKey(servingWithKey, _dataDirectory.AgentKubeletServingCertificate, _dataDirectory.AgentKubeletServingKey);
        PemFiles.WriteCertificateWithKey(withKey, _dataDirectory.AgentNodeCertificate, _dataDirectory.AgentNodeKey);
        WriteKubeconfig(caPem);
    }

    private async Task<byte[]> FetchCaAsync(CancellationToken cancellationToken)
    {
        // Nothing is trusted yet: the server's certificate is accepted blindly here, and the bytes are checked against the
        // token's hash before anything else is done with them.
        using var handler = new SocketsHttpHandler();
#pragma warning disable CA5359 // Deliberate: the CA is not known yet; its bytes are verified against the token's hash below.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        using var client = new HttpClient(handler) { BaseAddress = _options.Server, Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage response = await client.GetAsync(JoinEndpoints.CaCertificatesPath, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new AgentJoinException($"{_options.Server}{JoinEndpoints.CaCertificatesPath} answered {(int)response.StatusCode}; is this a skiff server?");
        }

        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private bool TryReuseStoredCredentials()
    {
        if (!File.Exists(_dataDirectory.AgentCaCertificate) || !File.Exists(_dataDirectory.AgentNodeCertificate)
            || !File.Exists(_dataDirectory.AgentNodeKey) || !File.Exists(_dataDirectory.AgentKubeconfig)
            || !File.Exists(_dataDirectory.AgentKubeletServingCertificate) || !File.Exists(_dataDirectory.AgentKubeletServingKey))
        {
            return false;
        }

        string caPem = File.ReadAllText(_dataDirectory.AgentCaCertificate);
        if (JoinToken.HashCa(caPem) != _options.Token.CaHash)
        {
            LogStoredCredentialsStale(_logger, "they belong to another CA than the token's");
            return false;
        }

        using X509Certificate2 ca = PemFiles.ReadCertificate(_dataDirectory.AgentCaCertificate);
        using X509Certificate2 node = PemFiles.ReadCertificateWithKey(_dataDirectory.AgentNodeCertificate, _dataDirectory.AgentNodeKey);
        if (node.GetNameInfo(X509NameType.SimpleName, forIssuer: false) != ClusterPki.NodeIdentity(_options.NodeName).User)
        {
            LogStoredCredentialsStale(_logger, "they name another node");
            return false;
        }

        if (!new CaTrust(ca).IsIssuedByCa(node) || node.NotAfter - _timeProvider.GetUtcNow().UtcDateTime < TimeSpan.FromDays(30))
        {
            LogStoredCredentialsStale(_logger, "the node certificate expires soon or the CA did not sign it");
            return false;
        }

        return true;
    }

    private void WriteKubeconfig(string caPem)
    {
        string kubeconfig = KubeconfigWriter.Render(
            _options.Server, caPem, File.ReadAllText(_dataDirectory.AgentNodeCertificate), File.ReadAllText(_dataDirectory.AgentNodeKey),
            "skiff", $"system:node:{_options.NodeName}");
        DataDirectory.WriteSecret(_dataDirectory.AgentKubeconfig, kubeconfig);
    }
}
