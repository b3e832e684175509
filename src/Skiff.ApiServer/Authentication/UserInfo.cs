namespace Skiff.ApiServer.Authentication;

/// <summary>Who made a request: the user name and groups (from the client certificate's CN and O, or a token).</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "")
{
    public bool IsMaster => Groups.Contains("system:masters");
}
