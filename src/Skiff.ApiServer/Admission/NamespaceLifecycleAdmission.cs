using k8s.Models;
using Skiff.Machinery.Errors;
using Skiff.Store;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's NamespaceLifecycle plugin. A namespaced object may only be created in a namespace that exists (404 naming
/// the namespace) and is not being terminated (403, with the NamespaceTerminating cause); the namespaces the cluster
/// cannot do without (default, kube-system, kube-public) may not be deleted. Deletes and updates of other objects, and
/// cluster-scoped objects, pass.
/// </summary>
internal sealed class NamespaceLifecycleAdmission : IMutatingAdmissionPlugin, IValidatingAdmissionPlugin
{
    /// <summary>Upstream's immortal namespaces (kube-apiserver's defaults).</summary>
    private static readonly HashSet<string> s_immortal = ["default", "kube-system", "kube-public"];

    public string Name => "NamespaceLifecycle";

    public async Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Operation != AdmissionOperation.Create || !attributes.Resource.Namespaced || string.IsNullOrEmpty(attributes.Namespace))
        {
            return;
        }

        string ns = attributes.Namespace;
        KeyValue stored = await attributes.Context.Store.GetAsync($"/core/namespaces/{ns}", 0, cancellationToken)
            ?? throw ApiErrors.NotFound(string.Empty, "namespaces", ns);
        V1Namespace namespaceObject = StoredObjects.Read<V1Namespace>(stored);
        if (namespaceObject.Metadata?.DeletionTimestamp is not null || namespaceObject.Status?.Phase == "Terminating")
        {
            string message = $"unable to create new content in namespace {ns} because it is being terminated";
            throw new StatusException(
                403,
                "Forbidden",
                $"{attributes.Resource.QualifiedName} \"{attributes.Name}\" is forbidden: {message}",
                new V1StatusDetails
                {
                    Name = attributes.Name,
                    Group = attributes.Resource.Group,
                    Kind = attributes.Resource.Plural,
                    Causes = [new V1StatusCause { Reason = "NamespaceTerminating", Message = message, Field = "metadata.namespace" }],
                });
        }
    }

    public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes.Operation == AdmissionOperation.Delete
            && attributes.Resource.Group.Length == 0
            && attributes.Resource.Plural == "namespaces"
            && s_immortal.Contains(attributes.Name))
        {
            throw new StatusException(
                403,
                "Forbidden",
                $"namespaces \"{attributes.Name}\" is forbidden: this namespace may not be deleted",
                new V1StatusDetails { Name = attributes.Name, Kind = "namespaces" });
        }

        return Task.CompletedTask;
    }
}
