using k8s.Models;
using Skiff.ApiServer.Conversion;
using Skiff.ApiServer.Registry;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Whether a webhook is called for a request, as upstream's generic webhook dispatcher decides: the namespaceSelector (the
/// labels of the request's namespace, of the Namespace itself for namespaces; cluster-scoped objects always match), the
/// objectSelector (the object's or the old object's labels), then the rules. With matchPolicy Equivalent a rule may match
/// another served version of the same stored resource, and the webhook then gets the object in that version.
/// </summary>
internal sealed class WebhookMatcher(ApiWatchCache cache, ResourceCatalog catalog, VersionConversion conversion)
{
    private readonly ResourceInfo _namespaces = catalog.Find(string.Empty, "v1", "namespaces")
        ?? throw new InvalidOperationException("namespaces are not in the catalog");

    /// <summary>
    /// Webhooks are never called for the objects that configure admission, so a broken webhook cannot lock itself in
    /// (upstream's IsExemptAdmissionConfigurationResource).
    /// </summary>
    public static bool IsExempt(ResourceInfo resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource.Group == "admissionregistration.k8s.io" && resource.Plural is "mutatingwebhookconfigurations" or "validatingwebhookconfigurations"
            or "validatingadmissionpolicies" or "validatingadmissionpolicybindings" or "mutatingadmissionpolicies" or "mutatingadmissionpolicybindings";
    }

    /// <summary>
    /// The labels namespaceSelectors are matched against: the Namespace object's own for namespaces, the namespace's (from
    /// the watch cache) for namespaced objects, and null for other cluster-scoped objects, which every selector matches.
    /// </summary>
    public IReadOnlyDictionary<string, string>? NamespaceLabels(AdmissionAttributes attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Resource.Group.Length == 0 && attributes.Resource.Plural == "namespaces")
        {
            return Labels(attributes.Object ?? attributes.OldObject) ?? new Dictionary<string, string>();
        }

        if (string.IsNullOrEmpty(attributes.Namespace))
        {
            return null;
        }

        CachedObject? ns = cache.Bucket(_namespaces).Get(StorageKeys.Object(_namespaces, null, attributes.Namespace));
        return ns?.Labels ?? new Dictionary<string, string>();
    }

    /// <summary>
    /// The resource (version) the webhook is called with, or null when it is not called. <paramref name="namespaceLabels"/>
    /// comes from <see cref="NamespaceLabels"/>, read once per request.
    /// </summary>
    public ResourceInfo? Match(CompiledWebhook hook, AdmissionAttributes attributes, IReadOnlyDictionary<string, string>? namespaceLabels)
    {
        ArgumentNullException.ThrowIfNull(hook);
        ArgumentNullException.ThrowIfNull(attributes);
        if (namespaceLabels is not null && !hook.NamespaceSelector.Matches(namespaceLabels))
        {
            return null;
        }

        // A missing object has no labels to match (upstream's matchObject of nil is false).
        if (!hook.ObjectSelector.IsEmpty && !ObjectMatches(hook, attributes.Object) && !ObjectMatches(hook, attributes.OldObject))
        {
            return null;
        }

        ResourceInfo requested = attributes.RequestResource ?? attributes.Resource;
        if (Rules(hook, attributes, requested))
        {
            return requested;
        }

        if (hook.Exact)
        {
            return null;
        }

        ResourceInfo storage = conversion.StorageFor(requested);
        foreach (ResourceInfo equivalent in catalog.Resources)
        {
            if (!ReferenceEquals(equivalent, requested) && equivalent.Kind == requested.Kind && ReferenceEquals(conversion.StorageFor(equivalent), storage)
                && Rules(hook, attributes, equivalent))
            {
                return equivalent;
            }
        }

        return null;
    }

    private static bool Rules(CompiledWebhook hook, AdmissionAttributes attributes, ResourceInfo resource)
    {
        string operation = Operation(attributes.Operation);
        string subresource = attributes.Subresource ?? string.Empty;
        foreach (V1RuleWithOperations rule in hook.Definition.Rules ?? [])
        {
            if (Any(rule.Operations, operation) && Any(rule.ApiGroups, resource.Group) && Any(rule.ApiVersions, resource.Version)
                && ResourceMatches(rule.Resources, resource.Plural, subresource) && ScopeMatches(rule.Scope, attributes, resource))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"pods" is the main resource only, "pods/status" one subresource, "pods/*" all of them, "*" every main resource, "*/*" everything.</summary>
    private static bool ResourceMatches(IList<string>? entries, string plural, string subresource)
    {
        foreach (string entry in entries ?? [])
        {
            int slash = entry.IndexOf('/', StringComparison.Ordinal);
            string resource = slash < 0 ? entry : entry[..slash];
            string sub = slash < 0 ? string.Empty : entry[(slash + 1)..];
            if ((resource == "*" || resource == plural) && (sub == "*" || sub == subresource))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ScopeMatches(string? scope, AdmissionAttributes attributes, ResourceInfo resource)
    {
        // Namespaces are cluster-scoped objects although upstream's attributes carry their name as the namespace.
        bool isNamespace = resource.Group.Length == 0 && resource.Plural == "namespaces";
        bool hasNamespace = !string.IsNullOrEmpty(attributes.Namespace);
        return scope switch
        {
            "Namespaced" => !isNamespace && hasNamespace,
            "Cluster" => isNamespace || !hasNamespace,
            _ => true,
        };
    }

    private static bool ObjectMatches(CompiledWebhook hook, k8s.IKubernetesObject<V1ObjectMeta>? item) =>
        item is not null && hook.ObjectSelector.Matches(Labels(item));

    private static bool Any(IList<string>? values, string value) => values is not null && (values.Contains("*") || values.Contains(value));

    public static string Operation(AdmissionOperation operation) => operation switch
    {
        AdmissionOperation.Create => "CREATE",
        AdmissionOperation.Update => "UPDATE",
        AdmissionOperation.Delete => "DELETE",
        _ => "CONNECT",
    };

    private static IReadOnlyDictionary<string, string>? Labels(k8s.IKubernetesObject<V1ObjectMeta>? item) => item?.Metadata?.Labels switch
    {
        null => null,
        IReadOnlyDictionary<string, string> labels => labels,
        IDictionary<string, string> labels => new Dictionary<string, string>(labels),
    };
}
