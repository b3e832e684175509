namespace Skiff.ApiServer.Authentication;

/// <summary>Who made a request: the user name and groups (from the client certificate's CN and O, or a token).</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "")
{
    /// <summary>The API server itself (its own writes: binding status, eviction, bootstrap); a member of system:masters.</summary>
    public static UserInfo ApiServer { get; } = new("system:apiserver", ["system:masters", "system:authenticated"]);

    public bool IsMaster => Groups.Contains("system:masters");

    /// <summary>Extra attributes (upstream's user.Info.GetExtra), set by impersonation and access reviews; empty otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
