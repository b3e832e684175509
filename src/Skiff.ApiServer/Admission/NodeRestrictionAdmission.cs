using k8s.Models;
using Skiff.ApiServer.Authorization;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's NodeRestriction plugin: a node (user <c>system:node:NAME</c>) may write only its own Node object, the status of
/// and deletion of pods bound to it, mirror pods bound to it, and its own Lease in kube-node-lease. RBAC's system:node role
/// lets every node write nodes, pods and leases; this plugin narrows that to the node's own. Other users pass untouched.
/// Runs as a validating plugin, so it judges the object exactly as it will be stored.
/// </summary>
internal sealed class NodeRestrictionAdmission : IValidatingAdmissionPlugin
{
    public const string MirrorPodAnnotation = "kubernetes.io/config.mirror";
    public const string NodeLeaseNamespace = "kube-node-lease";

    public string Name => "NodeRestriction";

    public Task ValidateAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        string? node = NodeAuthorizer.NodeName(attributes.User);
        if (node is null)
        {
            return Task.CompletedTask;
        }

        if (node.Length == 0)
        {
            throw StoredObjects.Forbidden(attributes, $"could not determine node from user \"{attributes.User.Name}\"");
        }

        switch (attributes.Resource.Group, attributes.Resource.Plural)
        {
            case ("", "pods"):
                AdmitPod(node, attributes);
                break;
            case ("", "nodes"):
                if (attributes.Name != node)
                {
                    throw StoredObjects.Forbidden(attributes, $"node \"{node}\" is not allowed to modify node \"{attributes.Name}\"");
                }

                break;
            case ("coordination.k8s.io", "leases"):
                if (attributes.Namespace != NodeLeaseNamespace)
                {
                    throw StoredObjects.Forbidden(attributes, $"can only access leases in the \"{NodeLeaseNamespace}\" namespace");
                }

                if (attributes.Name != node)
                {
                    throw StoredObjects.Forbidden(attributes, "can only access node lease with the same name as the requesting node");
                }

                break;
        }

        return Task.CompletedTask;
    }

    private static void AdmitPod(string node, AdmissionAttributes attributes)
    {
        switch (attributes.Subresource)
        {
            case null or "":
                switch (attributes.Operation)
                {
                    case AdmissionOperation.Create:
                        var pod = (V1Pod)attributes.Object!;
                        if (pod.Metadata?.Annotations is null || !pod.Metadata.Annotations.ContainsKey(MirrorPodAnnotation))
                        {
                            throw StoredObjects.Forbidden(attributes, $"pod does not have \"{MirrorPodAnnotation}\" annotation, node \"{node}\" can only create mirror pods");
                        }

                        if (pod.Spec?.NodeName != node)
                        {
                            throw StoredObjects.Forbidden(attributes, $"node \"{node}\" can only create pods with spec.nodeName set to itself");
                        }

                        if (!string.IsNullOrEmpty(pod.Spec.ServiceAccountName))
                        {
                            throw StoredObjects.Forbidden(attributes, $"node \"{node}\" can not create pods that reference a service account");
                        }

                        break;
                    case AdmissionOperation.Delete:
                        if ((attributes.OldObject as V1Pod)?.Spec?.NodeName != node)
                        {
                            throw StoredObjects.Forbidden(attributes, $"node \"{node}\" can only delete pods with spec.nodeName set to itself");
                        }

                        break;
                    default:
                        throw StoredObjects.Forbidden(attributes, $"unexpected operation {attributes.Operation.ToString().ToUpperInvariant()}, node \"{node}\" can only create and delete mirror pods");
                }

                break;
            case "status":
                if ((attributes.OldObject as V1Pod)?.Spec?.NodeName != node)
                {
                    throw StoredObjects.Forbidden(attributes, $"node \"{node}\" can only update pod status for pods with spec.nodeName set to itself");
                }

                break;
            default:
                throw StoredObjects.Forbidden(attributes, $"unexpected subresource {attributes.Subresource}");
        }
    }
}
