using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's CRD validation: names, scope, versions (exactly one storage version, served flags), subresources, printer
/// columns, and that every schema is structural (<see cref="StructuralSchemaValidation"/>), with upstream's field paths
/// and messages. On update the scope is immutable and every stored version must still be listed.
/// </summary>
internal static partial class CustomResourceDefinitionValidation
{
    private const string Dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string Dns1035LabelMessage =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an " +
        "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    private static readonly string[] s_columnTypes = ["boolean", "date", "integer", "number", "string"];
    private static readonly string[] s_columnFormats = ["byte", "date", "date-time", "double", "float", "int32", "int64", "password"];

    public static void Validate(V1CustomResourceDefinition crd, V1CustomResourceDefinition? old, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(crd);
        ArgumentNullException.ThrowIfNull(errors);
        V1CustomResourceDefinitionSpec spec = crd.Spec ?? new V1CustomResourceDefinitionSpec();
        V1CustomResourceDefinitionNames names = spec.Names ?? new V1CustomResourceDefinitionNames();
        string group = spec.Group ?? string.Empty;

        string expectedName = $"{names.Plural}.{group}";
        if (crd.Metadata?.Name != expectedName)
        {
            errors.Invalid("metadata.name", crd.Metadata?.Name ?? string.Empty, "must be spec.names.plural+\".\"+spec.group");
        }

        if (group.Length == 0)
        {
            errors.Required("spec.group");
        }
        else if (!IsDns1123Subdomain(group))
        {
            errors.Invalid("spec.group", group, Dns1123SubdomainMessage);
        }
        else if (!group.Contains('.', StringComparison.Ordinal))
        {
            errors.Invalid("spec.group", group, "should be a domain with at least one dot");
        }

        ValidateNames(names, "spec.names", errors);

        if (string.IsNullOrEmpty(spec.Scope))
        {
            errors.Required("spec.scope");
        }
        else if (spec.Scope is not ("Namespaced" or "Cluster"))
        {
            errors.NotSupported("spec.scope", spec.Scope, ["Cluster", "Namespaced"]);
        }

        ValidateVersions(spec, errors);
        ValidateConversion(spec.Conversion, errors);

        if (old is not null)
        {
            // Group and plural make the resource's name; scope and kind shape what is stored, so they are fixed once the CRD is
            // Established (as upstream's requireImmutableNames): before that, a CRD whose kind conflicts can still be repaired.
            if ((old.Status?.Conditions ?? []).Any(c => c.Type == "Established" && c.Status == "True"))
            {
                Immutable("spec.scope", spec.Scope, old.Spec?.Scope, errors);
                Immutable("spec.names.kind", names.Kind, old.Spec?.Names?.Kind, errors);
            }

            Immutable("spec.group", spec.Group, old.Spec?.Group, errors);
            Immutable("spec.names.plural", names.Plural, old.Spec?.Names?.Plural, errors);

            IList<string> stored = crd.Status?.StoredVersions ?? old.Status?.StoredVersions ?? [];
            var listed = (spec.Versions ?? []).Select(v => v?.Name).ToHashSet(StringComparer.Ordinal);
            for (int i = 0; i < stored.Count; i++)
            {
                if (!listed.Contains(stored[i]))
                {
                    errors.Invalid(Index("status.storedVersions", i), stored[i], "must appear in spec.versions");
                }
            }
        }
    }

    private static void Immutable(string field, string? value, string? oldValue, ValidationErrors errors)
    {
        if (oldValue is not null && !string.Equals(value, oldValue, StringComparison.Ordinal))
        {
            errors.Immutable(field, value);
        }
    }

    private static void ValidateNames(V1CustomResourceDefinitionNames names, string path, ValidationErrors errors)
    {
        if (string.IsNullOrEmpty(names.Plural))
        {
            errors.Required(path + ".plural");
        }
        else if (Dns1035(names.Plural) is { } pluralError)
        {
            errors.Invalid(path + ".plural", names.Plural, pluralError);
        }

        if (string.IsNullOrEmpty(names.Singular))
        {
            errors.Required(path + ".singular");
        }
        else if (Dns1035(names.Singular) is { } singularError)
        {
            errors.Invalid(path + ".singular", names.Singular, singularError);
        }

        if (string.IsNullOrEmpty(names.Kind))
        {
            errors.Required(path + ".kind");
        }
        else if (Dns1035(names.Kind.ToLowerInvariant()) is { } kindError)
        {
            errors.Invalid(path + ".kind", names.Kind, "may have mixed case, but should otherwise match: " + kindError);
        }

        if (string.IsNullOrEmpty(names.ListKind))
        {
            errors.Required(path + ".listKind");
        }
        else if (Dns1035(names.ListKind.ToLowerInvariant()) is { } listKindError)
        {
            errors.Invalid(path + ".listKind", names.ListKind, "may have mixed case, but should otherwise match: " + listKindError);
        }
        else if (names.ListKind == names.Kind)
        {
            errors.Invalid(path + ".listKind", names.ListKind, "kind and listKind may not be the same");
        }

        IList<string> shortNames = names.ShortNames ?? [];
        for (int i = 0; i < shortNames.Count; i++)
        {
            if (Dns1035(shortNames[i]) is { } shortError)
            {
                errors.Invalid(Index(path + ".shortNames", i), shortNames[i], shortError);
            }
        }
    }

    private static void ValidateVersions(V1CustomResourceDefinitionSpec spec, ValidationErrors errors)
    {
        IList<V1CustomResourceDefinitionVersion> versions = spec.Versions ?? [];
        if (versions.Count == 0)
        {
            errors.Required("spec.versions", "must have exactly one version marked as storage version");
            return;
        }

        // Upstream prints the whole versions list; the names, as Go prints a string slice, say the same shorter.
        object shown = new GoList(versions.Select(v => v?.Name ?? string.Empty).ToList());
        if (versions.Count(v => v?.Storage == true) != 1)
        {
            errors.Invalid("spec.versions", shown, "must have exactly one version marked as storage version");
        }

        if (versions.Select(v => v?.Name).Distinct(StringComparer.Ordinal).Count() != versions.Count)
        {
            errors.Invalid("spec.versions", shown, "must contain unique version names");
        }

        if (!versions.Any(v => v?.Served == true))
        {
            errors.Invalid("spec.versions", shown, "must have at least one served version");
        }

        for (int i = 0; i < versions.Count; i++)
        {
            V1CustomResourceDefinitionVersion version = versions[i] ?? new V1CustomResourceDefinitionVersion();
            string path = Index("spec.versions", i);
            if (string.IsNullOrEmpty(version.Name))
            {
                errors.Required(path + ".name");
            }
            else if (Dns1035(version.Name) is { } nameError)
            {
                errors.Invalid(path + ".name", version.Name, nameError);
            }

            if (version.Schema?.OpenAPIV3Schema is not { } schema)
            {
                errors.Required(path + ".schema.openAPIV3Schema", "schemas are required");
            }
            else if (JsonSerializer.SerializeToNode(schema, SkiffJson.Options) is JsonObject json)
            {
                StructuralSchemaValidation.Validate(json, path + ".schema.openAPIV3Schema", errors);
            }

            ValidateColumns(version.AdditionalPrinterColumns ?? [], path + ".additionalPrinterColumns", errors);
            ValidateScale(version.Subresources?.Scale, path + ".subresources.scale", errors);
        }
    }

    private static void ValidateColumns(IList<V1CustomResourceColumnDefinition> columns, string path, ValidationErrors errors)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            V1CustomResourceColumnDefinition column = columns[i] ?? new V1CustomResourceColumnDefinition();
            string at = Index(path, i);
            if (string.IsNullOrEmpty(column.Name))
            {
                errors.Required(at + ".name");
            }

            string types = "must be one of " + string.Join(",", s_columnTypes);
            if (string.IsNullOrEmpty(column.Type))
            {
                errors.Required(at + ".type", types);
            }
            else if (!s_columnTypes.Contains(column.Type, StringComparer.Ordinal))
            {
                errors.Invalid(at + ".type", column.Type, types);
            }

            if (!string.IsNullOrEmpty(column.Format) && !s_columnFormats.Contains(column.Format, StringComparer.Ordinal))
            {
                errors.Invalid(at + ".format", column.Format, "must be one of " + string.Join(",", s_columnFormats));
            }

            if (string.IsNullOrEmpty(column.JsonPath))
            {
                errors.Required(at + ".jsonPath");
            }
            else if (!column.JsonPath.StartsWith('.'))
            {
                errors.Invalid(at + ".jsonPath", column.JsonPath, "must be a simple json path starting with .");
            }
        }
    }

    private static void ValidateScale(V1CustomResourceSubresourceScale? scale, string path, ValidationErrors errors)
    {
        if (scale is null)
        {
            return;
        }

        if (string.IsNullOrEmpty(scale.SpecReplicasPath))
        {
            errors.Required(path + ".specReplicasPath");
        }
        else if (!scale.SpecReplicasPath.StartsWith(".spec.", StringComparison.Ordinal))
        {
            errors.Invalid(path + ".specReplicasPath", scale.SpecReplicasPath, "should be a json path under .spec");
        }

        if (string.IsNullOrEmpty(scale.StatusReplicasPath))
        {
            errors.Required(path + ".statusReplicasPath");
        }
        else if (!scale.StatusReplicasPath.StartsWith(".status.", StringComparison.Ordinal))
        {
            errors.Invalid(path + ".statusReplicasPath", scale.StatusReplicasPath, "should be a json path under .status");
        }

        if (!string.IsNullOrEmpty(scale.LabelSelectorPath) &&
            !(scale.LabelSelectorPath.StartsWith(".spec.", StringComparison.Ordinal) || scale.LabelSelectorPath.StartsWith(".status.", StringComparison.Ordinal)))
        {
            errors.Invalid(path + ".labelSelectorPath", scale.LabelSelectorPath, "should be a json path under either .spec or .status");
        }
    }

    private static void ValidateConversion(V1CustomResourceConversion? conversion, ValidationErrors errors)
    {
        if (conversion is null || string.IsNullOrEmpty(conversion.Strategy))
        {
            return;
        }

        if (conversion.Strategy is not ("None" or "Webhook"))
        {
            errors.NotSupported("spec.conversion.strategy", conversion.Strategy, ["None", "Webhook"]);
        }
        else if (conversion.Strategy == "Webhook" && conversion.Webhook?.ClientConfig is null)
        {
            errors.Required("spec.conversion.webhook", "required when strategy is set to Webhook");
        }
        else if (conversion.Strategy == "None" && conversion.Webhook is not null)
        {
            errors.Forbidden("spec.conversion.webhook", "should not be set when strategy is not set to Webhook");
        }
    }

    private static string? Dns1035(string value)
    {
        if (value.Length > 63)
        {
            return "must be no more than 63 characters";
        }

        return Dns1035Label().IsMatch(value) ? null : Dns1035LabelMessage;
    }

    private static bool IsDns1123Subdomain(string value) => value.Length <= 253 && Dns1123Subdomain().IsMatch(value);

    private static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private sealed record GoList(IReadOnlyList<string> Items)
    {
        public override string ToString() => "[" + string.Join(" ", Items) + "]";
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}
