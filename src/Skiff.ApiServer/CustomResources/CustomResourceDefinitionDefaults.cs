using k8s.Models;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's apiextensions/v1 defaults for a CRD, which its validation assumes were applied: singular is the lower-cased
/// kind, listKind is kind + "List", conversion strategy None. Call before <see cref="CustomResourceDefinitionValidation.Validate"/>,
/// which requires singular and listKind as upstream's does after defaulting.
/// </summary>
internal static class CustomResourceDefinitionDefaults
{
    public static void Apply(V1CustomResourceDefinition crd)
    {
        ArgumentNullException.ThrowIfNull(crd);
        V1CustomResourceDefinitionSpec spec = crd.Spec ??= new V1CustomResourceDefinitionSpec();
        V1CustomResourceDefinitionNames names = spec.Names ??= new V1CustomResourceDefinitionNames();
        if (string.IsNullOrEmpty(names.Singular) && !string.IsNullOrEmpty(names.Kind))
        {
            names.Singular = names.Kind.ToLowerInvariant();
        }

        if (string.IsNullOrEmpty(names.ListKind) && !string.IsNullOrEmpty(names.Kind))
        {
            names.ListKind = names.Kind + "List";
        }

        spec.Conversion ??= new V1CustomResourceConversion();
        if (string.IsNullOrEmpty(spec.Conversion.Strategy))
        {
            spec.Conversion.Strategy = "None";
        }
    }
}
