using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Skiff.Commands;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>
/// What an agent needs to join: <c>GET /cacerts</c> (unauthenticated; the agent checks it against the hash in its token) and
/// <c>POST /v1-skiff/node-certificate</c> (bearer join token), which signs the agent's CSR as <c>system:node:NAME</c>.
/// </summary>
internal static partial class JoinEndpoints
{
    public const string CaCertificatesPath = "/cacerts";
    public const string NodeCertificatePath = "/v1-skiff/node-certificate";

    private const string LoggerCategory = "Skiff.Hosting.JoinEndpoints";
    private const int MaxRequestBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapJoinEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(CaCertificatesPath, (ServerCredentials credentials) => Results.Text(credentials.CaPem, "application/x-pem-file"));
        endpoints.MapPost(NodeCertificatePath, async context => await (await IssueNodeCertificateAsync(context)).ExecuteAsync(context));
        return endpoints;
    }

    private static async Task<IResult> IssueNodeCertificateAsync(HttpContext context)
    {
        IServiceProvider services = context.RequestServices;
        ServerCredentials credentials = services.GetRequiredService<ServerCredentials>();
        ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        string? remote = context.Connection.RemoteIpAddress?.ToString();

        // Authenticate before reading the body, so strangers cannot make us parse anything.
        string authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            || !JoinToken.TryParse(authorization["Bearer ".Length..], out JoinToken? presented, out _)
            || presented is null
            || !credentials.Token.Matches(presented))
        {
            LogRejectedToken(logger, remote);
            return Results.Text("the join token is not valid for this server\n", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (context.Request.ContentLength is > MaxRequestBytes)
        {
            return Results.Text("the request is too large\n", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        NodeCertificateRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync(SkiffJsonContext.Default.NodeCertificateRequest, context.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return BadRequest($"the body is not a node certificate request: {e.Message}");
        }

        if (request is null || !NodeNames.IsValid(request.NodeName))
        {
            return BadRequest("nodeName must be a DNS-1123 subdomain");
        }

        CertificateRequest csr;
        try
        {
            // Loading verifies the CSR's signature, which proves the agent holds the private key.
            csr = CertificateRequest.LoadSigningRequestPem(request.Csr, HashAlgorithmName.SHA256);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return BadRequest($"csr is not a valid PEM certificate signing request: {e.Message}");
        }

        CertificateIdentity identity = ClusterPki.NodeIdentity(request.NodeName);
        var factory = new CertificateFactory(services.GetRequiredService<TimeProvider>());
        string? serving = null;
        if (request.ServingCsr is not null)
        {
            var addresses = new List<IPAddress>();
            foreach (string text in request.Addresses ?? [])
            {
                if (!IPAddress.TryParse(text, out IPAddress? address))
                {
                    return BadRequest($"addresses: \"{text}\" is not an IP address");
                }

                addresses.Add(address);
            }

            if (request.HostName is { } host && !NodeNames.IsValid(host.ToLowerInvariant()))
            {
                return BadRequest("hostName must be a DNS-1123 subdomain");
            }

            CertificateRequest servingCsr;
            try
            {
                servingCsr = CertificateRequest.LoadSigningRequestPem(request.ServingCsr, HashAlgorithmName.SHA256);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                return BadRequest($"servingCsr is not a valid PEM certificate signing request: {e.Message}");
            }

            // The token holder may act as this node; the names are the node's own, the SANs those it declared.
            ServingNames names = ClusterPki.KubeletNames(request.NodeName, request.HostName ?? request.NodeName, addresses);
            using X509Certificate2 servingCertificate = factory.IssueServing(credentials.Ca, servingCsr.PublicKey, names, identity.User);
            serving = servingCertificate.ExportCertificatePem() + "\n";
        }

        using X509Certificate2 issued = factory.IssueClient(credentials.Ca, csr.PublicKey, identity.User, identity.Group);
        LogIssuedNodeCertificate(logger, request.NodeName, remote);
        return Results.Json(
            new NodeCertificateResponse(issued.ExportCertificatePem() + "\n", credentials.CaPem, serving),
            SkiffJsonContext.Default.NodeCertificateResponse);
    }

    private static IResult BadRequest(string message) => Results.Text(message + "\n", statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Rejected a node certificate request from {Remote}: the join token is wrong")]
    private static partial void LogRejectedToken(ILogger logger, string? remote);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Issued a node certificate for node {NodeName} to {Remote}")]
    private static partial void LogIssuedNodeCertificate(ILogger logger, string nodeName, string? remote);
}
