namespace Skiff.ApiServer.Authentication;

/// <summary>
/// What checking a service-account token found: the user and the audiences it was accepted for, or upstream's error text
/// (what TokenReview reports in <c>status.error</c>).
/// </summary>
internal sealed record TokenValidation(UserInfo? User, IReadOnlyList<string> Audiences, string? Error)
{
    public static TokenValidation Refused(string error) => new(null, [], error);
}
