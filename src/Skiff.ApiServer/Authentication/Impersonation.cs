using Microsoft.AspNetCore.Http;
using Skiff.ApiServer.Authorization;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Authentication;

/// <summary>
/// Upstream's impersonation filter: the headers <c>Impersonate-User</c>, <c>Impersonate-Group</c> (repeatable),
/// <c>Impersonate-Uid</c> and <c>Impersonate-Extra-KEY</c> make the request act as another user, once the caller is allowed the
/// verb <c>impersonate</c> on each of them (users, groups, serviceaccounts; uids and userextras in authentication.k8s.io).
/// A non-anonymous impersonated user is in system:authenticated; an impersonated service account has its two groups unless
/// groups were named.
/// </summary>
internal static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string GroupHeader = "Impersonate-Group";
    public const string UidHeader = "Impersonate-Uid";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    private const string Anonymous = "system:anonymous";

    /// <summary>The user the request acts as: <paramref name="requestor"/> itself when it asks for no impersonation.</summary>
    public static async Task<UserInfo> ApplyAsync(HttpContext context, UserInfo requestor, AuthorizerChain authorizer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(requestor);
        ArgumentNullException.ThrowIfNull(authorizer);
        List<Request> requests = Requests(context.Request.Headers);
        if (requests.Count == 0)
        {
            return requestor;
        }

        if (!requests.Any(r => r.Kind is "User" or "ServiceAccount"))
        {
            throw ApiErrors.BadRequest($"requested {Describe(requests)} without impersonating a user");
        }

        string? username = null;
        string uid = string.Empty;
        var groups = new List<string>();
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        bool groupsSpecified = requests.Any(r => r.Kind == "Group");
        foreach (Request request in requests)
        {
            AuthorizationAttributes acting = request.Kind switch
            {
                "ServiceAccount" => new(requestor, "impersonate", string.Empty, "serviceaccounts", null, request.Namespace, request.Name),
                "User" => new(requestor, "impersonate", string.Empty, "users", null, null, request.Name),
                "Group" => new(requestor, "impersonate", string.Empty, "groups", null, null, request.Name),
                "UserExtra" => new(requestor, "impersonate", "authentication.k8s.io", "userextras", request.ExtraKey, null, request.Name),
                _ => new(requestor, "impersonate", "authentication.k8s.io", "uids", null, null, request.Name),
            };
            switch (request.Kind)
            {
                case "ServiceAccount":
                    username = RbacSubjects.ServiceAccountPrefix + request.Namespace + ":" + request.Name;
                    if (!groupsSpecified)
                    {
                        groups.Add("system:serviceaccounts");
                        groups.Add("system:serviceaccounts:" + request.Namespace);
                    }

                    break;
                case "User":
                    username = request.Name;
                    break;
                case "Group":
                    groups.Add(request.Name);
                    break;
                case "UserExtra":
                    if (!extra.TryGetValue(request.ExtraKey!, out List<string>? values))
                    {
                        extra[request.ExtraKey!] = values = [];
                    }

                    values.Add(request.Name);
                    break;
                default:
                    uid = request.Name;
                    break;
            }

            (bool allowed, string reason) = await authorizer.AuthorizeAsync(acting, cancellationToken);
            if (!allowed)
            {
                throw AuthorizationErrors.Forbidden(acting, reason);
            }
        }

        username ??= Anonymous;
        if (username != Anonymous)
        {
            if (!groups.Contains("system:authenticated") && !groups.Contains("system:unauthenticated"))
            {
                groups.Add("system:authenticated");
            }
        }
        else if (!groups.Contains("system:unauthenticated"))
        {
            groups.Add("system:unauthenticated");
        }

        foreach (string header in context.Request.Headers.Keys.Where(IsImpersonationHeader).ToList())
        {
            context.Request.Headers.Remove(header);
        }

        return new UserInfo(username, groups, uid) { Extra = extra.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value, StringComparer.Ordinal) };
    }

    private static List<Request> Requests(IHeaderDictionary headers)
    {
        var requests = new List<Request>();
        string? user = headers[UserHeader];
        if (!string.IsNullOrEmpty(user))
        {
            string[] parts = user.Split(':');
            requests.Add(user.StartsWith(RbacSubjects.ServiceAccountPrefix, StringComparison.Ordinal) && parts.Length == 4 && parts[2].Length > 0 && parts[3].Length > 0
                ? new Request("ServiceAccount", parts[3], parts[2], null)
                : new Request("User", user, null, null));
        }

        foreach (string? group in headers[GroupHeader])
        {
            requests.Add(new Request("Group", group ?? string.Empty, null, null));
        }

        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in headers)
        {
            if (name.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                string key = Uri.UnescapeDataString(name[ExtraHeaderPrefix.Length..].ToLowerInvariant());
                foreach (string? value in values)
                {
                    requests.Add(new Request("UserExtra", value ?? string.Empty, null, key));
                }
            }
        }

        string? uid = headers[UidHeader];
        if (!string.IsNullOrEmpty(uid))
        {
            requests.Add(new Request("UID", uid, null, null));
        }

        return requests;
    }

    private static bool IsImpersonationHeader(string name) =>
        name.Equals(UserHeader, StringComparison.OrdinalIgnoreCase) || name.Equals(GroupHeader, StringComparison.OrdinalIgnoreCase)
        || name.Equals(UidHeader, StringComparison.OrdinalIgnoreCase) || name.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase);

    private static string Describe(List<Request> requests) =>
        "[" + string.Join(" ", requests.Select(r => $"{{{r.Kind} {r.Namespace} {r.Name}}}")) + "]";

    private sealed record Request(string Kind, string Name, string? Namespace, string? ExtraKey);
}
