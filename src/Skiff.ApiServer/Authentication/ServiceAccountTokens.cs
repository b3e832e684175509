using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Skiff.Store;

namespace Skiff.ApiServer.Authentication;

/// <summary>
/// Service-account tokens: JWTs (RS256) signed with the cluster's service-account key, as TokenRequest issues them, and the
/// authenticator that accepts them while they are unexpired and their service account still exists.
/// </summary>
internal sealed class ServiceAccountTokens(IOptions<ApiServerOptions> options, IRevisionedStore store, TimeProvider timeProvider) : ITokenAuthenticator
{
    private static readonly byte[] s_header = Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");

    public bool CanIssue => options.Value.ServiceAccountKey is not null;

    /// <summary>Signs a token for <c>system:serviceaccount:ns:name</c>, valid for <paramref name="lifetime"/>.</summary>
    public (string Token, DateTimeOffset Expires) Issue(string ns, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime, JsonObject? boundObject)
    {
        RSA key = options.Value.ServiceAccountKey ?? throw Machinery.Errors.ApiErrors.ServiceUnavailable("this server has no service-account signing key");
        DateTimeOffset now = timeProvider.GetUtcNow();
        DateTimeOffset expires = now + lifetime;
        var kubernetes = new JsonObject
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
        };
        if (boundObject is not null)
        {
            kubernetes[boundObject["kind"]?.GetValue<string>()?.ToLowerInvariant() ?? "object"] = new JsonObject { ["name"] = boundObject["name"]?.DeepClone(), ["uid"] = boundObject["uid"]?.DeepClone() };
        }

        var claims = new JsonObject
        {
            ["iss"] = options.Value.ServiceAccountIssuer,
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
            ["aud"] = new JsonArray([.. (audiences.Count > 0 ? audiences : [options.Value.ServiceAccountIssuer]).Select(a => JsonValue.Create(a))]),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["kubernetes.io"] = kubernetes,
        };
        string signingInput = Base64Url.EncodeToString(s_header) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        byte[] signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return (signingInput + "." + Base64Url.EncodeToString(signature), expires);
    }

    public async Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        RSA? key = options.Value.ServiceAccountKey;
        string[] parts = token.Split('.');
        if (key is null || parts.Length != 3)
        {
            return null;
        }

        try
        {
            byte[] signature = Base64Url.DecodeFromChars(parts[2]);
            if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return null;
            }

            JsonNode? claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]));
            long expires = claims?["exp"]?.GetValue<long>() ?? 0;
            if (expires <= timeProvider.GetUtcNow().ToUnixTimeSeconds())
            {
                return null;
            }

            string ns = claims?["kubernetes.io"]?["namespace"]?.GetValue<string>() ?? string.Empty;
            string name = claims?["kubernetes.io"]?["serviceaccount"]?["name"]?.GetValue<string>() ?? string.Empty;
            string uid = claims?["kubernetes.io"]?["serviceaccount"]?["uid"]?.GetValue<string>() ?? string.Empty;

            // A token outlives nothing: once its service account is deleted (or replaced) it stops working.
            KeyValue? account = await store.GetAsync($"/core/serviceaccounts/{ns}/{name}", 0, cancellationToken);
            if (account is null || JsonNode.Parse(account.Value.Span)?["metadata"]?["uid"]?.GetValue<string>() != uid)
            {
                return null;
            }

            return new UserInfo($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"], uid);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or CryptographicException)
        {
            return null;
        }
    }
}
