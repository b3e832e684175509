using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Skiff.ApiServer.WatchCache;
using Skiff.Machinery.Catalog;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's ServiceAccount admission plugin, the part every pod meets on create: spec.serviceAccountName defaults to
/// "default", and unless automountServiceAccountToken is false (on the pod, else on its ServiceAccount) the pod gets the
/// projected volume <c>kube-api-access-&lt;5 chars&gt;</c> (a bound service-account token, the cluster CA from the
/// <c>kube-root-ca.crt</c> ConfigMap and the namespace) mounted read-only at
/// <c>/var/run/secrets/kubernetes.io/serviceaccount</c> in every container and init container that has nothing mounted
/// there yet. Mirror pods are left alone. Unlike upstream, a pod whose ServiceAccount does not exist (yet) is not refused.
/// The ServiceAccount is read from the watch cache, or the store when the cache does not have it (yet).
/// </summary>
internal sealed class ServiceAccountAdmission(CacheOrStore reads) : IMutatingAdmissionPlugin
{
    public const string DefaultServiceAccountName = "default";
    public const string VolumeNamePrefix = "kube-api-access-";
    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";
    public const string RootCaConfigMap = "kube-root-ca.crt";

    /// <summary>An hour and a bit: upstream's kubelet renews well before, and the odd value tells these tokens apart.</summary>
    public const long TokenExpirationSeconds = 3607;

    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    // Upstream's name generator avoids vowels and look-alike characters, so no generated name spells a word.
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly ResourceInfo _accounts = reads.Resource(string.Empty, "serviceaccounts");

    public string Name => "ServiceAccount";

    /// <summary>Pods on create; other kinds and pod updates pass.</summary>
    public Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes is { Operation: AdmissionOperation.Create, Subresource: null, Object: V1Pod pod }
            ? AdmitPodAsync(pod, cancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>Defaults the service account and mounts its token volume into a new pod.</summary>
    private async Task AdmitPodAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        if (pod.Metadata?.Annotations?.ContainsKey(MirrorPodAnnotation) == true)
        {
            return;
        }

        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        if (string.IsNullOrEmpty(spec.ServiceAccountName))
        {
            spec.ServiceAccountName = string.IsNullOrEmpty(spec.ServiceAccount) ? DefaultServiceAccountName : spec.ServiceAccount;
        }

        bool automount = spec.AutomountServiceAccountToken
            ?? (await reads.GetAsync<V1ServiceAccount>(_accounts, pod.Metadata?.NamespaceProperty ?? "default", spec.ServiceAccountName, cancellationToken))?.AutomountServiceAccountToken
            ?? true;
        if (automount)
        {
            MountToken(pod);
        }
    }

    /// <summary>
    /// Adds the read-only mount to every container without one at <see cref="MountPath"/>, and the volume when some
    /// container needed it and the pod has no <c>kube-api-access-</c> volume yet.
    /// </summary>
    public static void MountToken(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        V1Volume? existing = spec.Volumes?.FirstOrDefault(v => v.Name?.StartsWith(VolumeNamePrefix, StringComparison.Ordinal) == true);
        string volumeName = existing?.Name ?? VolumeNamePrefix + RandomSuffix(pod.Metadata?.Uid ?? pod.Metadata?.Name ?? string.Empty);
        bool needed = false;
        foreach (V1Container container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            if (container.VolumeMounts?.Any(m => m.MountPath == MountPath) == true)
            {
                continue;
            }

            container.VolumeMounts ??= [];
            container.VolumeMounts.Add(new V1VolumeMount { Name = volumeName, MountPath = MountPath, ReadOnlyProperty = true });
            needed = true;
        }

        if (existing is null && needed)
        {
            spec.Volumes ??= [];
            spec.Volumes.Add(TokenVolume(volumeName));
        }
    }

    /// <summary>The projected volume upstream adds: token (3607 s), ca.crt from kube-root-ca.crt, and the namespace; mode 0644.</summary>
    public static V1Volume TokenVolume(string name) => new()
    {
        Name = name,
        Projected = new V1ProjectedVolumeSource
        {
            DefaultMode = 420,
            Sources =
            [
                new V1VolumeProjection { ServiceAccountToken = new V1ServiceAccountTokenProjection { Path = "token", ExpirationSeconds = TokenExpirationSeconds } },
                new V1VolumeProjection
                {
                    ConfigMap = new V1ConfigMapProjection { Name = RootCaConfigMap, Items = [new V1KeyToPath { Key = "ca.crt", Path = "ca.crt" }] },
                },
                new V1VolumeProjection
                {
                    DownwardAPI = new V1DownwardAPIProjection
                    {
                        Items = [new V1DownwardAPIVolumeFile { Path = "namespace", FieldRef = new V1ObjectFieldSelector { ApiVersion = "v1", FieldPath = "metadata.namespace" } }],
                    },
                },
            ],
        },
    };

    /// <summary>Five characters of upstream's name alphabet, drawn from the pod's uid (so one pod always gets the same name).</summary>
    public static string RandomSuffix(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        var suffix = new StringBuilder(5);
        for (int i = 0; i < 5; i++)
        {
            suffix.Append(NameAlphabet[hash[i] % NameAlphabet.Length]);
        }

        return suffix.ToString();
    }
}
