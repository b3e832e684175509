using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for ConfigMap, Secret, ServiceAccount, ResourceQuota, RoleBinding, ClusterRoleBinding and PodDisruptionBudget.</summary>
internal static class ConfigPrinters
{
    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("", "ConfigMap")] = new TablePrinter<V1ConfigMap>(
            [Columns.Name(), Columns.String("Data", "Data contains the configuration data."), Columns.Age()],
            (c, now) => [CellFormat.Name(c.Metadata), CellFormat.Count(c.Data) + CellFormat.Count(c.BinaryData), CellFormat.Age(c.Metadata, now)]);

        printers[("", "Secret")] = new TablePrinter<V1Secret>(
            [Columns.Name(), Columns.String("Type", "Used to facilitate programmatic handling of secret data."), Columns.String("Data", "Data contains the secret data."), Columns.Age()],
            (s, now) => [CellFormat.Name(s.Metadata), s.Type ?? string.Empty, CellFormat.Count(s.Data), CellFormat.Age(s.Metadata, now)]);

        // 1.32 still prints the Secrets count (always 0 now that token secrets are not auto-created).
        printers[("", "ServiceAccount")] = new TablePrinter<V1ServiceAccount>(
            [Columns.Name(), Columns.String("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), Columns.Age()],
            (s, now) => [CellFormat.Name(s.Metadata), CellFormat.Count(s.Secrets), CellFormat.Age(s.Metadata, now)]);

        printers[("", "ResourceQuota")] = new TablePrinter<V1ResourceQuota>(
            [
                Columns.Name(),
                Columns.String("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
                Columns.String("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
                Columns.Age(),
            ],
            QuotaCells);

        printers[("rbac.authorization.k8s.io", "RoleBinding")] = BindingPrinter<V1RoleBinding>("roleBinding", b => (b.Metadata, b.RoleRef, b.Subjects));
        printers[("rbac.authorization.k8s.io", "ClusterRoleBinding")] = BindingPrinter<V1ClusterRoleBinding>("clusterRoleBinding", b => (b.Metadata, b.RoleRef, b.Subjects));

        printers[("policy", "PodDisruptionBudget")] = new TablePrinter<V1PodDisruptionBudget>(
            [
                Columns.Name(),
                Columns.String("Min Available", "The minimum number of pods that must be available."),
                Columns.String("Max Unavailable", "The maximum number of pods that may be unavailable."),
                Columns.Integer("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
                Columns.Age(),
            ],
            (p, now) =>
            [
                CellFormat.Name(p.Metadata), p.Spec?.MinAvailable?.ToString() ?? "N/A", p.Spec?.MaxUnavailable?.ToString() ?? "N/A",
                (long)(p.Status?.DisruptionsAllowed ?? 0), CellFormat.Age(p.Metadata, now),
            ]);
    }

    private static TablePrinter<T> BindingPrinter<T>(string what, Func<T, (V1ObjectMeta? Meta, V1RoleRef? Ref, IList<Rbacv1Subject>? Subjects)> parts)
        where T : class => new(
        [
            Columns.Name(),
            Columns.String("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
            Columns.Age(),
            Columns.String("Users", $"Users in the {what}", 1),
            Columns.String("Groups", $"Groups in the {what}", 1),
            Columns.String("ServiceAccounts", $"ServiceAccounts in the {what}", 1),
        ],
        (binding, now) =>
        {
            (V1ObjectMeta? meta, V1RoleRef? roleRef, IList<Rbacv1Subject>? subjects) = parts(binding);
            IList<Rbacv1Subject> all = subjects ?? [];
            return
            [
                CellFormat.Name(meta), $"{roleRef?.Kind}/{roleRef?.Name}", CellFormat.Age(meta, now),
                string.Join(", ", all.Where(s => s?.Kind == "User").Select(s => s.Name)),
                string.Join(", ", all.Where(s => s?.Kind == "Group").Select(s => s.Name)),
                string.Join(", ", all.Where(s => s?.Kind == "ServiceAccount").Select(s => $"{s.NamespaceProperty}/{s.Name}")),
            ];
        });

    private static object?[] QuotaCells(V1ResourceQuota quota, DateTimeOffset now)
    {
        IDictionary<string, ResourceQuantity> hard = quota.Status?.Hard ?? new Dictionary<string, ResourceQuantity>();
        IDictionary<string, ResourceQuantity> used = quota.Status?.Used ?? new Dictionary<string, ResourceQuantity>();
        var requests = new List<string>();
        var limits = new List<string>();
        foreach (string resource in hard.Keys.Order(StringComparer.Ordinal))
        {
            string usedText = used.TryGetValue(resource, out ResourceQuantity? u) && u is not null ? u.ToString() : "0";
            string text = $"{resource}: {usedText}/{hard[resource]}";
            (resource.StartsWith("limits.", StringComparison.Ordinal) ? limits : requests).Add(text);
        }

        return [CellFormat.Name(quota.Metadata), string.Join(", ", requests), string.Join(", ", limits), CellFormat.Age(quota.Metadata, now)];
    }
}
