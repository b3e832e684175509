using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Authentication;

internal sealed partial class ServiceAccountTokens
{
    // Upstream checks exp, nbf and iat with go-jose's default leeway, and treats an object deleted within it as still there.
    private static readonly TimeSpan s_leeway = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Checks a token as upstream's service-account authenticator does, for the <paramref name="requestedAudiences"/> (the
    /// API server's when empty). Null when the token is not one of this issuer's JWTs (another authenticator may know it);
    /// otherwise the user, or the reason it is refused.
    /// </summary>
    public async Task<TokenValidation?> ValidateAsync(string token, IReadOnlyList<string> requestedAudiences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(requestedAudiences);
        RSA? key = options.Value.ServiceAccountKey;
        string[] parts = token.Split('.');
        if (key is null || parts.Length != 3)
        {
            return null;
        }

        JsonObject claims;
        try
        {
            if (JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) is not JsonObject parsed
                || parsed["iss"] is not JsonValue issuer || !issuer.TryGetValue(out string? iss) || iss != options.Value.ServiceAccountIssuer)
            {
                return null;
            }

            claims = parsed;
            if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return TokenValidation.Refused("go-jose/go-jose: error in cryptographic primitive");
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException or CryptographicException)
        {
            return null;
        }

        string[] tokenAudiences = Audiences(claims["aud"]);
        if (tokenAudiences.Length == 0)
        {
            tokenAudiences = [.. ApiAudiences];
        }

        IReadOnlyList<string> wanted = requestedAudiences.Count > 0 ? requestedAudiences : ApiAudiences;
        string[] accepted = [.. tokenAudiences.Where(wanted.Contains)];
        if (accepted.Length == 0)
        {
            return TokenValidation.Refused($"token audiences {GoQuote(tokenAudiences)} is invalid for the target audiences {GoQuote(wanted)}");
        }

        DateTimeOffset now = timeProvider.GetUtcNow();
        // Every token this server issues carries exp (it issues no legacy secret tokens); one without would never expire.
        if (Seconds(claims["exp"]) is not long exp)
        {
            return TokenValidation.Refused("service account token has no expiration");
        }

        if (now - s_leeway > DateTimeOffset.FromUnixTimeSeconds(exp))
        {
            return TokenValidation.Refused("service account token has expired");
        }

        if (Seconds(claims["nbf"]) is long nbf && now + s_leeway < DateTimeOffset.FromUnixTimeSeconds(nbf))
        {
            return TokenValidation.Refused("service account token is not valid yet");
        }

        if (Seconds(claims["iat"]) is long iat && now + s_leeway < DateTimeOffset.FromUnixTimeSeconds(iat))
        {
            return TokenValidation.Refused("service account token is issued in the future");
        }

        return await CheckBindingsAsync(claims, accepted, now - s_leeway, cancellationToken);
    }

    // Upstream's validator: the service account, then a bound secret, pod and node must still exist with the claimed uids.
    private async Task<TokenValidation> CheckBindingsAsync(JsonObject claims, string[] audiences, DateTimeOffset deletedBefore, CancellationToken cancellationToken)
    {
        JsonNode? kubernetes = claims["kubernetes.io"];
        string ns = Text(kubernetes?["namespace"]);
        (string accountName, string accountUid) = Reference(kubernetes?["serviceaccount"]);
        if (ns.Length == 0 || accountName.Length == 0)
        {
            return TokenValidation.Refused("service account token claims are missing the namespace or service account");
        }

        ObjectState? account = await LookupAsync("serviceaccounts", ns, accountName, accountUid, cancellationToken);
        if (account is null)
        {
            return TokenValidation.Refused($"serviceaccounts \"{accountName}\" not found");
        }

        if (account.DeletedAt < deletedBefore)
        {
            return TokenValidation.Refused($"service account {ns}/{accountName} has been deleted");
        }

        if (account.Uid != accountUid)
        {
            return TokenValidation.Refused($"service account UID ({account.Uid}) does not match claim ({accountUid})");
        }

        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (kubernetes?["secret"] is JsonObject secretClaim)
        {
            (string name, string uid) = Reference(secretClaim);
            ObjectState? secret = await LookupAsync("secrets", ns, name, uid, cancellationToken);
            if (secret is null || secret.DeletedAt < deletedBefore)
            {
                return TokenValidation.Refused("service account token has been invalidated");
            }

            if (secret.Uid != uid)
            {
                return TokenValidation.Refused($"secret UID ({secret.Uid}) does not match service account secret ref claim ({uid})");
            }
        }

        if (kubernetes?["pod"] is JsonObject podClaim)
        {
            (string name, string uid) = Reference(podClaim);
            ObjectState? pod = await LookupAsync("pods", ns, name, uid, cancellationToken);
            if (pod is null || pod.DeletedAt < deletedBefore)
            {
                return TokenValidation.Refused("service account token has been invalidated");
            }

            if (pod.Uid != uid)
            {
                return TokenValidation.Refused($"pod UID ({pod.Uid}) does not match service account pod ref claim ({uid})");
            }

            extra["authentication.kubernetes.io/pod-name"] = [name];
            extra["authentication.kubernetes.io/pod-uid"] = [uid];
        }

        if (kubernetes?["node"] is JsonObject nodeClaim)
        {
            (string name, string uid) = Reference(nodeClaim);
            // A pod-bound token only reports its node; a token bound to the node itself lives as long as that node.
            if (kubernetes["pod"] is null)
            {
                ObjectState? node = await LookupAsync("nodes", null, name, uid, cancellationToken);
                if (node is null)
                {
                    return TokenValidation.Refused("service account token has been invalidated");
                }

                if (node.Uid != uid)
                {
                    return TokenValidation.Refused($"node UID ({node.Uid}) does not match service account node ref claim ({uid})");
                }
            }

            extra["authentication.kubernetes.io/node-name"] = [name];
            if (uid.Length > 0)
            {
                extra["authentication.kubernetes.io/node-uid"] = [uid];
            }
        }

        if (Text(claims["jti"]) is { Length: > 0 } jti)
        {
            extra["authentication.kubernetes.io/credential-id"] = ["JTI=" + jti];
        }

        var user = new UserInfo($"system:serviceaccount:{ns}:{accountName}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"], accountUid)
        {
            Extra = extra,
        };
        return new TokenValidation(user, audiences, null);
    }

    private static string[] Audiences(JsonNode? aud) => aud switch
    {
        JsonArray list => [.. list.Select(Text).Where(a => a.Length > 0)],
        JsonValue => Text(aud) is { Length: > 0 } single ? [single] : [],
        _ => [],
    };

    private static long? Seconds(JsonNode? value) =>
        value is JsonValue number && number.TryGetValue(out long seconds) ? seconds
        : value is JsonValue real && real.TryGetValue(out double fractional) ? (long)fractional
        : null;

    private static string Text(JsonNode? value) => value is JsonValue text && text.TryGetValue(out string? s) ? s : string.Empty;

    private static (string Name, string Uid) Reference(JsonNode? reference) => (Text(reference?["name"]), Text(reference?["uid"]));

    // Go's %q of a []string, as upstream's audience error prints it: ["a" "b"].
    private static string GoQuote(IEnumerable<string> values) =>
        "[" + string.Join(" ", values.Select(v => "\"" + v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")) + "]";
}
