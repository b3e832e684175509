using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Authorization;

/// <summary>Upstream's 403 for a refused request: who, which verb, which resource (with subresource) or path, and where.</summary>
internal static class AuthorizationErrors
{
    public static StatusException Forbidden(AuthorizationAttributes attributes, string reason)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        string message;
        if (!attributes.IsResourceRequest)
        {
            message = $"User \"{attributes.User.Name}\" cannot {attributes.Verb} path \"{attributes.Path}\"";
        }
        else
        {
            string resource = string.IsNullOrEmpty(attributes.Subresource) ? attributes.Resource : attributes.Resource + "/" + attributes.Subresource;
            message = $"User \"{attributes.User.Name}\" cannot {attributes.Verb} resource \"{resource}\" in API group \"{attributes.ApiGroup}\""
                + (string.IsNullOrEmpty(attributes.Namespace) ? " at the cluster scope" : $" in the namespace \"{attributes.Namespace}\"");
        }

        if (reason.Length > 0)
        {
            message += ": " + reason;
        }

        return ApiErrors.Forbidden(attributes.ApiGroup, attributes.Resource, attributes.Name, message);
    }
}
