using k8s.Models;

namespace Skiff.ApiServer.Tables;

/// <summary>Printers for PersistentVolume, PersistentVolumeClaim and StorageClass.</summary>
internal static class StoragePrinters
{
    private const string BetaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

    public static void Register(IDictionary<(string Group, string Kind), ITablePrinter> printers)
    {
        printers[("", "PersistentVolume")] = new TablePrinter<V1PersistentVolume>(
            [
                Columns.Name(),
                Columns.String("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
                Columns.String("Access Modes", "accessModes contains all ways the volume can be mounted."),
                Columns.String("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
                Columns.String("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
                Columns.String("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
                Columns.String("StorageClass", "StorageClass of the pv"),
                Columns.String("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
                Columns.String("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
                Columns.Age(),
                Columns.String("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", 1),
            ],
            (pv, now) =>
            {
                V1PersistentVolumeSpec spec = pv.Spec ?? new V1PersistentVolumeSpec();
                string claim = spec.ClaimRef is { } claimRef ? $"{claimRef.NamespaceProperty}/{claimRef.Name}" : string.Empty;
                string phase = pv.Metadata?.DeletionTimestamp is not null ? "Terminating" : pv.Status?.Phase ?? string.Empty;
                return
                [
                    CellFormat.Name(pv.Metadata), Storage(spec.Capacity), AccessModes(spec.AccessModes), spec.PersistentVolumeReclaimPolicy ?? string.Empty,
                    phase, claim, ClassOf(pv.Metadata, spec.StorageClassName), spec.VolumeAttributesClassName ?? CellFormat.Unset,
                    pv.Status?.Reason ?? string.Empty, CellFormat.Age(pv.Metadata, now), spec.VolumeMode ?? CellFormat.Unset,
                ];
            });

        printers[("", "PersistentVolumeClaim")] = new TablePrinter<V1PersistentVolumeClaim>(
            [
                Columns.Name(),
                Columns.String("Status", "phase represents the current phase of PersistentVolumeClaim."),
                Columns.String("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
                Columns.String("Capacity", "capacity represents the actual resources of the underlying volume."),
                Columns.String("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
                Columns.String("StorageClass", "StorageClass of the pvc"),
                Columns.String("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
                Columns.Age(),
                Columns.String("VolumeMode", "volumeMode defines what type of volume is required by the claim.", 1),
            ],
            (pvc, now) =>
            {
                V1PersistentVolumeClaimSpec spec = pvc.Spec ?? new V1PersistentVolumeClaimSpec();
                string phase = pvc.Metadata?.DeletionTimestamp is not null ? "Terminating" : pvc.Status?.Phase ?? string.Empty;
                bool bound = !string.IsNullOrEmpty(spec.VolumeName);
                return
                [
                    CellFormat.Name(pvc.Metadata), phase, spec.VolumeName ?? string.Empty, bound ? Storage(pvc.Status?.Capacity) : string.Empty,
                    bound ? AccessModes(pvc.Status?.AccessModes) : string.Empty, ClassOf(pvc.Metadata, spec.StorageClassName),
                    spec.VolumeAttributesClassName ?? CellFormat.Unset, CellFormat.Age(pvc.Metadata, now), spec.VolumeMode ?? CellFormat.Unset,
                ];
            });

        printers[("storage.k8s.io", "StorageClass")] = new TablePrinter<V1StorageClass>(
            [
                Columns.Name(),
                Columns.String("Provisioner", "provisioner indicates the type of the provisioner."),
                Columns.String("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
                Columns.String("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
                Columns.String("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
                Columns.Age(),
            ],
            (sc, now) =>
            [
                IsDefault(sc.Metadata) ? CellFormat.Name(sc.Metadata) + " (default)" : CellFormat.Name(sc.Metadata), sc.Provisioner ?? string.Empty,
                sc.ReclaimPolicy ?? "Delete", sc.VolumeBindingMode ?? "Immediate", sc.AllowVolumeExpansion ?? false, CellFormat.Age(sc.Metadata, now),
            ]);
    }

    // Go's zero Quantity prints "0".
    private static string Storage(IDictionary<string, ResourceQuantity>? resources) =>
        resources is not null && resources.TryGetValue("storage", out ResourceQuantity? q) && q is not null ? q.ToString() : "0";

    private static string AccessModes(IList<string>? modes)
    {
        IList<string> all = modes ?? [];
        var text = new List<string>();
        foreach ((string mode, string shortName) in new[] { ("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP") })
        {
            if (all.Contains(mode))
            {
                text.Add(shortName);
            }
        }

        return string.Join(",", text);
    }

    private static string ClassOf(V1ObjectMeta? metadata, string? storageClassName) =>
        metadata?.Annotations is { } annotations && annotations.TryGetValue(BetaStorageClassAnnotation, out string? beta) ? beta : storageClassName ?? string.Empty;

    private static bool IsDefault(V1ObjectMeta? metadata) =>
        metadata?.Annotations is { } annotations &&
        ((annotations.TryGetValue("storageclass.kubernetes.io/is-default-class", out string? ga) && ga == "true") ||
         (annotations.TryGetValue("storageclass.beta.kubernetes.io/is-default-class", out string? beta) && beta == "true"));
}
