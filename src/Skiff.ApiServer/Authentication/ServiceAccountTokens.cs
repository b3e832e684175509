using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Skiff.ApiServer.WatchCache;

namespace Skiff.ApiServer.Authentication;

/// <summary>
/// Service-account tokens as upstream's TokenRequest issues them: RS256 JWTs signed with the cluster's service-account key,
/// carrying the service account, the objects the token is bound to (pod, node, secret), a random <c>jti</c> and the
/// audiences. The authenticator accepts one while it is unexpired, meant for the API server's audience, and its service
/// account and bound objects still exist with the uids it names.
/// </summary>
internal sealed partial class ServiceAccountTokens(
    IOptions<ApiServerOptions> options,
    CacheOrStore reads,
    TimeProvider timeProvider) : ITokenAuthenticator
{
    private static readonly byte[] s_header = Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");

    public bool CanIssue => options.Value.ServiceAccountKey is not null;

    /// <summary>The API server's own audiences (upstream's --api-audiences, which default to the issuer).</summary>
    public IReadOnlyList<string> ApiAudiences => [options.Value.ServiceAccountIssuer];

    /// <summary>The longest lifetime a TokenRequest gets (upstream's --service-account-max-token-expiration); null for none.</summary>
    public TimeSpan? MaxExpiration => options.Value.ServiceAccountMaxTokenExpiration;

    /// <summary>
    /// Signs a token for <c>system:serviceaccount:ns:name</c>, valid for <paramref name="lifetime"/> from now, for the
    /// <paramref name="audiences"/> (the API server's when empty) and bound to <paramref name="boundObjects"/>.
    /// </summary>
    public (string Token, DateTimeOffset Expires) Issue(string ns, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime, IReadOnlyList<BoundObject> boundObjects)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(boundObjects);
        RSA key = options.Value.ServiceAccountKey ?? throw Machinery.Errors.ApiErrors.ServiceUnavailable("this server has no service-account signing key");
        DateTimeOffset now = timeProvider.GetUtcNow();
        DateTimeOffset expires = now + lifetime;
        var kubernetes = new JsonObject
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
        };
        foreach (BoundObject bound in boundObjects)
        {
            kubernetes[bound.Kind.ToLowerInvariant()] = new JsonObject { ["name"] = bound.Name, ["uid"] = bound.Uid };
        }

        var claims = new JsonObject
        {
            ["aud"] = new JsonArray([.. (audiences.Count > 0 ? audiences : ApiAudiences).Select(a => JsonValue.Create(a))]),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = options.Value.ServiceAccountIssuer,
            // Upstream's credential id (JTI=...), which audit logs and TokenReview's user extra show.
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = kubernetes,
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        string signingInput = Base64Url.EncodeToString(s_header) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        byte[] signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return (signingInput + "." + Base64Url.EncodeToString(signature), expires);
    }

    /// <summary>A request's bearer token: accepted for the API server's own audiences only.</summary>
    public async Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken) =>
        (await ValidateAsync(token, [], cancellationToken))?.User;
}
