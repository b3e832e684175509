using System.Collections.Frozen;

namespace Skiff.ApiServer.Authentication;

/// <summary>Who made a request: the user name and groups (from the client certificate's CN and O, or a token).</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "")
{
    /// <summary>The API server itself (its own writes: binding status, eviction, bootstrap); a member of system:masters.</summary>
    public static UserInfo ApiServer { get; } = new("system:apiserver", ["system:masters", "system:authenticated"]);

    public bool IsMaster => Groups.Contains("system:masters");

    /// <summary>
    /// Upstream's user extra (user.Info.GetExtra): what else the authenticator vouches for (a service-account token's pod,
    /// node and credential id under <c>authentication.kubernetes.io/…</c>), or what impersonation and access reviews name;
    /// empty for certificates.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = FrozenDictionary<string, IReadOnlyList<string>>.Empty;
}
