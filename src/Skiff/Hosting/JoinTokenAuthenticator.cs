using Skiff.ApiServer.Authentication;
using Skiff.Pki;

namespace Skiff.Hosting;

/// <summary>
/// The join token as an API bearer token: it identifies a machine that is joining (group <c>system:bootstrappers</c>), which
/// may do nothing else until RBAC grants it more. Compared in constant time.
/// </summary>
internal sealed class JoinTokenAuthenticator(ServerCredentials credentials) : ITokenAuthenticator
{
    public Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        UserInfo? user = JoinToken.TryParse(token, out JoinToken? presented, out _) && presented is not null && credentials.Token.Matches(presented)
            ? new UserInfo("system:bootstrap:skiff", ["system:bootstrappers", "system:authenticated"])
            : null;
        return Task.FromResult(user);
    }
}
