using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for cluster-level kinds: Node, Namespace, Lease, PriorityClass, RuntimeClass, CSR and webhook configurations.</summary>
internal static class ClusterPrinters
{
    private const string NodeRolePrefix = "node-role.kubernetes.io/";
    private const string NodeRoleLabel = "kubernetes.io/role";

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("", "Node")] = new TablePrinter<V1Node>(
            [
                Columns.Name(),
                Columns.String("Status", "The status of the node"),
                Columns.String("Roles", "The roles of the node"),
                Columns.Age(),
                Columns.String("Version", "Kubelet Version reported by the node."),
                Columns.String("Internal-IP", "List of addresses reachable to the node.", 1),
                Columns.String("External-IP", "List of addresses reachable to the node.", 1),
                Columns.String("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
                Columns.String("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
                Columns.String("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
            ],
            NodeCells);

        printers[("", "Namespace")] = new TablePrinter<V1Namespace>(
            [Columns.Name(), Columns.String("Status", "The status of the namespace"), Columns.Age()],
            (n, now) => [CellFormat.Name(n.Metadata), n.Status?.Phase ?? string.Empty, CellFormat.Age(n.Metadata, now)]);

        printers[("coordination.k8s.io", "Lease")] = new TablePrinter<V1Lease>(
            [Columns.Name(), Columns.String("Holder", "holderIdentity contains the identity of the holder of a current lease."), Columns.Age()],
            (l, now) => [CellFormat.Name(l.Metadata), l.Spec?.HolderIdentity ?? string.Empty, CellFormat.Age(l.Metadata, now)]);

        printers[("scheduling.k8s.io", "PriorityClass")] = new TablePrinter<V1PriorityClass>(
            [
                Columns.Name(),
                Columns.Integer("Value", "value represents the integer value of this priority class."),
                Columns.Boolean("Global-Default", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class."),
                Columns.Age(),
                Columns.String("PreemptionPolicy", "preemptionPolicy is the Policy for preempting pods with lower priority."),
            ],
            (p, now) => [CellFormat.Name(p.Metadata), (long)(p.Value ?? 0), p.GlobalDefault ?? false, CellFormat.Age(p.Metadata, now), p.PreemptionPolicy ?? string.Empty]);

        printers[("node.k8s.io", "RuntimeClass")] = new TablePrinter<V1RuntimeClass>(
            [Columns.Name(), Columns.String("Handler", "handler specifies the underlying runtime and configuration that the CRI implementation will use."), Columns.Age()],
            (r, now) => [CellFormat.Name(r.Metadata), r.Handler ?? string.Empty, CellFormat.Age(r.Metadata, now)]);

        printers[("certificates.k8s.io", "CertificateSigningRequest")] = new TablePrinter<V1CertificateSigningRequest>(
            [
                Columns.Name(),
                Columns.Age(),
                Columns.String("SignerName", "signerName indicates the requested signer, and is a qualified name."),
                Columns.String("Requestor", "username contains the name of the user that created the CertificateSigningRequest."),
                Columns.String("RequestedDuration", "expirationSeconds is the requested duration of validity of the issued certificate."),
                Columns.String("Condition", "conditions applied to the request. Known conditions are \"Approved\", \"Denied\", and \"Failed\"."),
            ],
            (c, now) =>
            [
                CellFormat.Name(c.Metadata), CellFormat.Age(c.Metadata, now), string.IsNullOrEmpty(c.Spec?.SignerName) ? CellFormat.None : c.Spec.SignerName,
                c.Spec?.Username ?? string.Empty, c.Spec?.ExpirationSeconds is { } seconds ? HumanDuration.Format(TimeSpan.FromSeconds(seconds)) : CellFormat.None,
                CsrCondition(c),
            ]);

        const string WebhooksDescription = "Webhooks indicates the number of webhooks registered in this configuration";
        printers[("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = new TablePrinter<V1MutatingWebhookConfiguration>(
            [Columns.Name(), Columns.Integer("Webhooks", WebhooksDescription), Columns.Age()],
            (w, now) => [CellFormat.Name(w.Metadata), CellFormat.Count(w.Webhooks), CellFormat.Age(w.Metadata, now)]);
        printers[("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = new TablePrinter<V1ValidatingWebhookConfiguration>(
            [Columns.Name(), Columns.Integer("Webhooks", WebhooksDescription), Columns.Age()],
            (w, now) => [CellFormat.Name(w.Metadata), CellFormat.Count(w.Webhooks), CellFormat.Age(w.Metadata, now)]);
    }

    private static object?[] NodeCells(V1Node node, DateTimeOffset now)
    {
        // Only the Ready condition feeds the Status cell; a later duplicate overwrites an earlier one, as in upstream's map.
        V1NodeCondition? ready = (node.Status?.Conditions ?? []).LastOrDefault(c => c?.Type == "Ready");
        var status = new List<string> { ready is null ? "Unknown" : ready.Status == "True" ? "Ready" : "NotReady" };
        if (node.Spec?.Unschedulable == true)
        {
            status.Add("SchedulingDisabled");
        }

        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((string key, string value) in node.Metadata?.Labels ?? new Dictionary<string, string>())
        {
            if (key.StartsWith(NodeRolePrefix, StringComparison.Ordinal) && key.Length > NodeRolePrefix.Length)
            {
                roles.Add(key[NodeRolePrefix.Length..]);
            }
            else if (key == NodeRoleLabel && !string.IsNullOrEmpty(value))
            {
                roles.Add(value);
            }
        }

        V1NodeSystemInfo info = node.Status?.NodeInfo ?? new V1NodeSystemInfo();
        return
        [
            CellFormat.Name(node.Metadata), string.Join(",", status), roles.Count == 0 ? CellFormat.None : string.Join(",", roles),
            CellFormat.Age(node.Metadata, now), info.KubeletVersion ?? string.Empty, Address(node, "InternalIP"), Address(node, "ExternalIP"),
            OrUnknown(info.OsImage), OrUnknown(info.KernelVersion), OrUnknown(info.ContainerRuntimeVersion),
        ];
    }

    private static string Address(V1Node node, string type) =>
        (node.Status?.Addresses ?? []).FirstOrDefault(a => a?.Type == type)?.Address ?? CellFormat.None;

    private static string OrUnknown(string? value) => string.IsNullOrEmpty(value) ? CellFormat.Unknown : value;

    private static string CsrCondition(V1CertificateSigningRequest csr)
    {
        IList<V1CertificateSigningRequestCondition> conditions = csr.Status?.Conditions ?? [];
        bool denied = conditions.Any(c => c?.Type == "Denied");
        bool approved = conditions.Any(c => c?.Type == "Approved");
        bool failed = conditions.Any(c => c?.Type == "Failed");
        string status = denied ? "Denied" : approved ? "Approved" : "Pending";
        if (failed)
        {
            status += ",Failed";
        }

        if (csr.Status?.Certificate is { Length: > 0 })
        {
            status += ",Issued";
        }

        return status;
    }
}
