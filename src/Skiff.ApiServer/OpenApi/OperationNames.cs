using System.Globalization;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.OpenApi;

/// <summary>
/// Upstream's operation ids and tags: the group without ".k8s.io", each dot-separated part capitalized ("rbac.authorization.k8s.io"
/// → RbacAuthorization, "" → Core), then the version: <c>readCoreV1NamespacedPod</c>, tag <c>rbacAuthorization_v1</c>.
/// </summary>
internal sealed class OperationNames
{
    private readonly string _groupVersion;

    public OperationNames(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string group = resource.Group.Length == 0 ? "core" : resource.Group.Replace(".k8s.io", "", StringComparison.Ordinal);
        string camel = string.Concat(group.Split('.').Select(Capitalize));
        _groupVersion = camel + Capitalize(resource.Version);
        Tag = char.ToLowerInvariant(camel[0]) + camel[1..] + "_" + resource.Version;
    }

    public string Tag { get; }

    /// <summary>"read" + "NamespacedPod" → "readCoreV1NamespacedPod".</summary>
    public string OperationId(string verb, string target) => verb + _groupVersion + target;

    private static string Capitalize(string part) =>
        part.Length == 0 ? part : char.ToUpper(part[0], CultureInfo.InvariantCulture) + part[1..];
}
