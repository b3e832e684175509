using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for the workload kinds: ReplicaSet, ReplicationController, Deployment, StatefulSet, DaemonSet, PodTemplate, ControllerRevision.</summary>
internal static class WorkloadPrinters
{
    // apps/v1 and core/v1 default replicas to 1, so an unset field prints as upstream prints a defaulted object.
    private const int DefaultReplicas = 1;

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("apps", "ReplicaSet")] = new TablePrinter<V1ReplicaSet>(
            [
                Columns.Name(),
                Columns.Integer("Desired", "Replicas is the number of desired pods."),
                Columns.Integer("Current", "Replicas is the most recently observed number of non-terminating pods."),
                Columns.Integer("Ready", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("Selector is a label query over pods that should match the replica count."),
            ],
            (rs, now) =>
            {
                (string names, string images) = CellFormat.Containers(rs.Spec?.Template);
                return
                [
                    CellFormat.Name(rs.Metadata), (long)(rs.Spec?.Replicas ?? DefaultReplicas), (long)(rs.Status?.Replicas ?? 0),
                    (long)(rs.Status?.ReadyReplicas ?? 0), CellFormat.Age(rs.Metadata, now), names, images, CellFormat.LabelSelector(rs.Spec?.Selector),
                ];
            });

        printers[("", "ReplicationController")] = new TablePrinter<V1ReplicationController>(
            [
                Columns.Name(),
                Columns.Integer("Desired", "Replicas is the number of desired replicas."),
                Columns.Integer("Current", "Replicas is the most recently observed number of replicas."),
                Columns.Integer("Ready", "The number of ready replicas for this replication controller."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("Selector is a label query over pods that should match the Replicas count."),
            ],
            (rc, now) =>
            {
                (string names, string images) = CellFormat.Containers(rc.Spec?.Template);
                return
                [
                    CellFormat.Name(rc.Metadata), (long)(rc.Spec?.Replicas ?? DefaultReplicas), (long)(rc.Status?.Replicas ?? 0),
                    (long)(rc.Status?.ReadyReplicas ?? 0), CellFormat.Age(rc.Metadata, now), names, images, CellFormat.Labels(rc.Spec?.Selector),
                ];
            });

        printers[("apps", "Deployment")] = new TablePrinter<V1Deployment>(
            [
                Columns.Name(),
                Columns.String("Ready", "Number of the pod with ready state"),
                Columns.String("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
                Columns.String("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
            ],
            (d, now) =>
            {
                (string names, string images) = CellFormat.Containers(d.Spec?.Template);
                return
                [
                    CellFormat.Name(d.Metadata), $"{d.Status?.ReadyReplicas ?? 0}/{d.Spec?.Replicas ?? DefaultReplicas}", (long)(d.Status?.UpdatedReplicas ?? 0),
                    (long)(d.Status?.AvailableReplicas ?? 0), CellFormat.Age(d.Metadata, now), names, images, CellFormat.SelectorString(d.Spec?.Selector),
                ];
            });

        printers[("apps", "StatefulSet")] = new TablePrinter<V1StatefulSet>(
            [Columns.Name(), Columns.String("Ready", "Number of the pod with ready state"), Columns.Age(), Columns.Containers(), Columns.Images()],
            (s, now) =>
            {
                (string names, string images) = CellFormat.Containers(s.Spec?.Template);
                return [CellFormat.Name(s.Metadata), $"{s.Status?.ReadyReplicas ?? 0}/{s.Spec?.Replicas ?? DefaultReplicas}", CellFormat.Age(s.Metadata, now), names, images];
            });

        printers[("apps", "DaemonSet")] = new TablePrinter<V1DaemonSet>(
            [
                Columns.Name(),
                Columns.Integer("Desired", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
                Columns.Integer("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
                Columns.Integer("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
                Columns.Integer("Up-to-date", "The total number of nodes that are running updated daemon pod"),
                Columns.Integer("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
                Columns.String("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
                Columns.Age(), Columns.Containers(), Columns.Images(),
                Columns.Selector("A label query over pods that are managed by the daemon set."),
            ],
            (ds, now) =>
            {
                (string names, string images) = CellFormat.Containers(ds.Spec?.Template);
                V1DaemonSetStatus status = ds.Status ?? new V1DaemonSetStatus();
                return
                [
                    CellFormat.Name(ds.Metadata), (long)status.DesiredNumberScheduled, (long)status.CurrentNumberScheduled, (long)status.NumberReady,
                    (long)(status.UpdatedNumberScheduled ?? 0), (long)(status.NumberAvailable ?? 0), CellFormat.Labels(ds.Spec?.Template?.Spec?.NodeSelector),
                    CellFormat.Age(ds.Metadata, now), names, images, CellFormat.LabelSelector(ds.Spec?.Selector),
                ];
            });

        printers[("", "PodTemplate")] = new TablePrinter<V1PodTemplate>(
            [
                Columns.Name(),
                Columns.String("Containers", Columns.ContainersDescription),
                Columns.String("Images", Columns.ImagesDescription),
                Columns.String("Pod Labels", "The labels for the pod template."),
            ],
            (t, _) =>
            {
                (string names, string images) = CellFormat.Containers(t.Template);
                return [CellFormat.Name(t.Metadata), names, images, CellFormat.Labels(t.Template?.Metadata?.Labels)];
            });

        printers[("apps", "ControllerRevision")] = new TablePrinter<V1ControllerRevision>(
            [
                Columns.Name(),
                Columns.String("Controller", "Controller of the object"),
                Columns.String("Revision", "Revision indicates the revision of the state represented by Data."),
                Columns.Age(),
            ],
            (r, now) => [CellFormat.Name(r.Metadata), ControllerOf(r.Metadata), r.Revision, CellFormat.Age(r.Metadata, now)]);
    }

    /// <summary>"statefulset.apps/web" for the controller owner reference, or "&lt;none&gt;".</summary>
    private static string ControllerOf(V1ObjectMeta? metadata)
    {
        V1OwnerReference? owner = (metadata?.OwnerReferences ?? []).FirstOrDefault(o => o?.Controller == true);
        if (owner is null)
        {
            return CellFormat.None;
        }

        string apiVersion = owner.ApiVersion ?? string.Empty;
        int slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        string group = slash < 0 ? string.Empty : apiVersion[..slash];
        string kind = owner.Kind ?? string.Empty;
        if (kind.Length == 0 && group.Length == 0)
        {
            return owner.Name ?? string.Empty;
        }

        string groupKind = group.Length == 0 ? kind : $"{kind}.{group}";
        return groupKind.ToLowerInvariant() + "/" + owner.Name;
    }
}
