namespace Skiff.ApiServer.Authentication;

/// <summary>Turns a bearer token into a user, or null when the token is not this authenticator's.</summary>
public interface ITokenAuthenticator
{
    Task<UserInfo?> AuthenticateAsync(string token, CancellationToken cancellationToken);
}
