namespace Skiff.Machinery.Catalog;

/// <summary>One served resource: where it lives in the API and what upstream says about it.</summary>
/// <param name="Group">The API group ("" for core).</param>
/// <param name="Version">The version served.</param>
/// <param name="Kind">The object kind.</param>
/// <param name="Plural">The resource name in URLs (pods).</param>
/// <param name="Singular">The singular name (pod).</param>
/// <param name="Namespaced">True for namespace-scoped resources.</param>
/// <param name="Verbs">The verbs discovery advertises.</param>
/// <param name="ShortNames">Short names kubectl accepts (po).</param>
/// <param name="Categories">Categories such as "all".</param>
/// <param name="Subresources">Subresource names (status, scale, log, ...).</param>
/// <param name="ClrType">The k8s.Models type of one object.</param>
/// <param name="ListClrType">The k8s.Models list type, when it exists.</param>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Subresources,
    Type ClrType,
    Type? ListClrType)
{
    private readonly string? _listKind;

    /// <summary>The kind of a list of these objects: <c>Kind</c> + "List" unless set (a CRD's <c>names.listKind</c>).</summary>
    public string ListKind
    {
        get => string.IsNullOrEmpty(_listKind) ? Kind + "List" : _listKind;
        init => _listKind = value;
    }

    /// <summary>"v1" or "apps/v1".</summary>
    public string ApiVersion => string.IsNullOrEmpty(Group) ? Version : $"{Group}/{Version}";

    /// <summary>"pods" or "deployments.apps", as upstream names a resource in messages.</summary>
    public string QualifiedName => string.IsNullOrEmpty(Group) ? Plural : $"{Plural}.{Group}";

    /// <summary>True when the resource is only a request (reviews, bindings) and is never stored.</summary>
    public bool IsVirtual => !Verbs.Contains("get");

    /// <summary>True for a resource a CustomResourceDefinition serves (its objects are <see cref="CustomResource"/>).</summary>
    public bool IsCustom => ClrType == typeof(CustomResource);

    public bool HasSubresource(string name) => Subresources.Contains(name);
}
