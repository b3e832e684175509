using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;

namespace Skiff.ApiServer.Authentication;

/// <summary>
/// Identifies the caller. Client certificates were already checked against the cluster CA during the TLS handshake; the
/// user is their CN and the groups their O values, as kube-apiserver reads them. Bearer tokens are checked by the
/// <see cref="ITokenAuthenticator"/>s the host registers (join tokens, service-account tokens).
/// </summary>
internal sealed class RequestAuthenticator(IEnumerable<ITokenAuthenticator> tokenAuthenticators)
{
    public async Task<UserInfo?> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        X509Certificate2? certificate = context.Connection.ClientCertificate;
        if (certificate is not null)
        {
            return FromCertificate(certificate);
        }

        string? authorization = context.Request.Headers.Authorization;
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return await AuthenticateTokenAsync(authorization["Bearer ".Length..].Trim(), cancellationToken);
        }

        return null;
    }

    /// <summary>The user a bearer token stands for, or null (TokenReview asks this too).</summary>
    public async Task<UserInfo?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        foreach (ITokenAuthenticator authenticator in tokenAuthenticators)
        {
            if (await authenticator.AuthenticateAsync(token, cancellationToken) is { } user)
            {
                return user;
            }
        }

        return null;
    }

    internal static UserInfo FromCertificate(X509Certificate2 certificate)
    {
        string name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var groups = new List<string>();
        foreach (X500RelativeDistinguishedName part in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (part.GetSingleElementType().Value == "2.5.4.10" && part.GetSingleElementValue() is { } organization)
            {
                groups.Add(organization);
            }
        }

        groups.Add("system:authenticated");
        return new UserInfo(name, groups);
    }
}
