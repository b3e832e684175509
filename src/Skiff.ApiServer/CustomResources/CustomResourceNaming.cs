using k8s.Models;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's naming controller rules: a requested name is accepted when it is the one already accepted or nobody else in the
/// group uses it (other CRDs' accepted names, and built-in resources of the group). A name that conflicts keeps its accepted
/// value, and the NamesAccepted condition says which check failed (the last failing one, as upstream reports it).
/// </summary>
internal static class CustomResourceNaming
{
    public static (V1CustomResourceDefinitionNames Accepted, V1CustomResourceDefinitionCondition NamesAccepted) Accept(
        V1CustomResourceDefinition crd, IEnumerable<V1CustomResourceDefinition> all, ResourceCatalog catalog, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(crd);
        ArgumentNullException.ThrowIfNull(all);
        ArgumentNullException.ThrowIfNull(catalog);
        string group = crd.Spec?.Group ?? string.Empty;
        var resources = new HashSet<string>(StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (V1CustomResourceDefinition other in all.Where(o => o.Spec?.Group == group && o.Metadata?.Name != crd.Metadata?.Name))
        {
            V1CustomResourceDefinitionNames? names = other.Status?.AcceptedNames;
            AddNonEmpty(resources, names?.Plural, names?.Singular);
            AddNonEmpty(resources, [.. names?.ShortNames ?? []]);
            AddNonEmpty(kinds, names?.Kind, names?.ListKind);
        }

        foreach (ResourceInfo builtIn in catalog.Resources.Where(r => !r.IsCustom && r.Group == group))
        {
            AddNonEmpty(resources, builtIn.Plural, builtIn.Singular);
            AddNonEmpty(resources, [.. builtIn.ShortNames]);
            AddNonEmpty(kinds, builtIn.Kind, builtIn.Kind + "List");
        }

        V1CustomResourceDefinitionNames requested = crd.Spec?.Names ?? new V1CustomResourceDefinitionNames();
        V1CustomResourceDefinitionNames old = crd.Status?.AcceptedNames ?? new V1CustomResourceDefinitionNames();
        var accepted = new V1CustomResourceDefinitionNames
        {
            Plural = old.Plural ?? string.Empty,
            Singular = old.Singular,
            ShortNames = old.ShortNames,
            Kind = old.Kind ?? string.Empty,
            ListKind = old.ListKind,
            Categories = requested.Categories,
        };
        (string Reason, string Message)? conflict = null;
        string singular = string.IsNullOrEmpty(requested.Singular) ? (requested.Kind ?? string.Empty).ToLowerInvariant() : requested.Singular;
        string listKind = string.IsNullOrEmpty(requested.ListKind) ? requested.Kind + "List" : requested.ListKind;

        if (InUse(requested.Plural, old.Plural, resources) is { } plural)
        {
            conflict = ("PluralConflict", plural);
        }
        else
        {
            accepted.Plural = requested.Plural;
        }

        if (InUse(singular, old.Singular, resources) is { } singularInUse)
        {
            conflict = ("SingularConflict", singularInUse);
        }
        else
        {
            accepted.Singular = singular;
        }

        string? shortNameInUse = null;
        foreach (string shortName in requested.ShortNames ?? [])
        {
            if ((old.ShortNames ?? []).Contains(shortName))
            {
                continue;
            }

            shortNameInUse ??= InUse(shortName, null, resources);
        }

        if (shortNameInUse is not null)
        {
            conflict = ("ShortNamesConflict", shortNameInUse);
        }
        else
        {
            accepted.ShortNames = requested.ShortNames;
        }

        if (InUse(requested.Kind, old.Kind, kinds) is { } kind)
        {
            conflict = ("KindConflict", kind);
        }
        else
        {
            accepted.Kind = requested.Kind;
        }

        if (InUse(listKind, old.ListKind, kinds) is { } listKindInUse)
        {
            conflict = ("ListKindConflict", listKindInUse);
        }
        else
        {
            accepted.ListKind = listKind;
        }

        V1CustomResourceDefinitionCondition condition = conflict is { } failed
            ? Condition("NamesAccepted", "False", failed.Reason, failed.Message, now)
            : Condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", now);
        return (accepted, condition);
    }

    public static V1CustomResourceDefinitionCondition Condition(string type, string status, string reason, string message, DateTime now) => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = message,
        LastTransitionTime = now,
    };

    /// <summary>Upstream's equalToAcceptedOrFresh: null when the name may be used, else the "already in use" message.</summary>
    private static string? InUse(string? requested, string? accepted, HashSet<string> used) =>
        string.IsNullOrEmpty(requested) || requested == accepted || !used.Contains(requested) ? null : $"\"{requested}\" is already in use";

    private static void AddNonEmpty(HashSet<string> set, params string?[] values)
    {
        foreach (string? value in values)
        {
            if (!string.IsNullOrEmpty(value))
            {
                set.Add(value);
            }
        }
    }
}
