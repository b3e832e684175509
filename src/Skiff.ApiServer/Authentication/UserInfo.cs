using System.Collections.Frozen;
using System.Text.Json.Nodes;

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

    /// <summary>
    /// The user as authentication.k8s.io/v1 UserInfo JSON (audit events, SelfSubjectReview, TokenReview): username, then uid,
    /// groups and extra, each left out when empty as upstream's omitempty does.
    /// </summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["username"] = Name };
        if (Uid.Length > 0)
        {
            json["uid"] = Uid;
        }

        if (Groups.Count > 0)
        {
            json["groups"] = new JsonArray([.. Groups.Select(g => JsonValue.Create(g))]);
        }

        if (Extra.Count > 0)
        {
            json["extra"] = new JsonObject(Extra.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray([.. e.Value.Select(v => JsonValue.Create(v))]))));
        }

        return json;
    }
}
