using k8s.Models;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.CustomResources;

/// <summary>
/// Upstream's CRD validation: names, scope, versions (exactly one storage version, served flags), subresources, printer
/// columns, and that every schema is structural.
/// SEAM (issue 8): the crd-schema helper implements it; the crd-serve helper's CRD strategy calls it.
/// </summary>
internal static class CustomResourceDefinitionValidation
{
    public static void Validate(V1CustomResourceDefinition crd, V1CustomResourceDefinition? old, ValidationErrors errors)
    {
    }
}
