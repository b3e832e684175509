using k8s.Models;

namespace Skiff.Machinery.Errors;

/// <summary>The Status errors upstream sends, with upstream's wording so kubectl output matches a real cluster.</summary>
public static class ApiErrors
{
    /// <summary>"pods \"web\" not found", or "deployments.apps \"x\" not found" for grouped resources.</summary>
    public static StatusException NotFound(string group, string resource, string name) =>
        new(404, "NotFound", $"{Qualified(group, resource)} \"{name}\" not found", Details(group, resource, name));

    public static StatusException AlreadyExists(string group, string resource, string name) =>
        new(409, "AlreadyExists", $"{Qualified(group, resource)} \"{name}\" already exists", Details(group, resource, name));

    public static StatusException Conflict(string group, string resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {Qualified(group, resource)} \"{name}\": {why}", Details(group, resource, name));

    /// <summary>The optimistic-concurrency failure kubectl users know.</summary>
    public static StatusException Modified(string group, string resource, string name) =>
        Conflict(group, resource, name, "the object has been modified; please apply your changes to the latest version and try again");

    /// <summary>422: "Kind.group \"name\" is invalid: field: problem".</summary>
    public static StatusException Invalid(string group, string kind, string name, IReadOnlyList<V1StatusCause> causes)
    {
        ArgumentNullException.ThrowIfNull(causes);
        string kindName = string.IsNullOrEmpty(group) ? kind : $"{kind}.{group}";
        string summary = causes.Count == 1
            ? $"{causes[0].Field}: {causes[0].Message}"
            : "[" + string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}")) + "]";
        return new StatusException(422, "Invalid", $"{kindName} \"{name}\" is invalid: {summary}", new V1StatusDetails
        {
            Name = name,
            Group = string.IsNullOrEmpty(group) ? null : group,
            Kind = kind,
            Causes = [.. causes],
        });
    }

    public static StatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static StatusException Gone(string message) => new(410, "Expired", message);

    public static StatusException MethodNotSupported(string group, string resource, string verb) =>
        new(405, "MethodNotAllowed", $"{verb} is not supported on resources of kind \"{Qualified(group, resource)}\"", new V1StatusDetails { Group = NullIfEmpty(group), Kind = resource });

    public static StatusException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {contentType})");

    public static StatusException RequestEntityTooLarge(string message) => new(413, "RequestEntityTooLarge", message);

    public static StatusException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    /// <summary>
    /// Upstream's NewForbidden, the form admission and authorization refusals share: <c>pods "web" is forbidden: why</c>,
    /// <c>pods is forbidden: why</c> without a name, <c>forbidden: why</c> without a resource; causes go into the details.
    /// </summary>
    public static StatusException Forbidden(string group, string resource, string? name, string why, params V1StatusCause[] causes)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string message = resource.Length == 0 ? $"forbidden: {why}"
            : string.IsNullOrEmpty(name) ? $"{Qualified(group, resource)} is forbidden: {why}"
            : $"{Qualified(group, resource)} \"{name}\" is forbidden: {why}";
        return new StatusException(403, "Forbidden", message, new V1StatusDetails
        {
            Name = string.IsNullOrEmpty(name) ? null : name,
            Group = NullIfEmpty(group),
            Kind = resource.Length == 0 ? null : resource,
            Causes = causes is { Length: > 0 } ? causes : null,
        });
    }

    public static StatusException Internal(string message) => new(500, "InternalError", $"Internal error occurred: {message}");

    public static StatusException ServiceUnavailable(string message) => new(503, "ServiceUnavailable", message);

    public static string Qualified(string group, string resource) => string.IsNullOrEmpty(group) ? resource : $"{resource}.{group}";

    private static V1StatusDetails Details(string group, string resource, string name) =>
        new() { Name = name, Group = NullIfEmpty(group), Kind = resource };

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;
}
