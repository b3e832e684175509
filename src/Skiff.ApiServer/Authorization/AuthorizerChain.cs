namespace Skiff.ApiServer.Authorization;

/// <summary>
/// The API server's authorizers in order (upstream's union authorizer): the first Allow or Deny decides; when every
/// authorizer has no opinion the request is refused.
/// </summary>
internal sealed class AuthorizerChain(IEnumerable<IAuthorizer> authorizers)
{
    private readonly IAuthorizer[] _authorizers = [.. authorizers];

    public async ValueTask<(bool Allowed, string Reason)> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        foreach (IAuthorizer authorizer in _authorizers)
        {
            (AuthorizationDecision decision, string reason) = await authorizer.AuthorizeAsync(attributes, cancellationToken);
            if (decision != AuthorizationDecision.NoOpinion)
            {
                return (decision == AuthorizationDecision.Allow, reason);
            }
        }

        return (false, string.Empty);
    }
}
