using System.Globalization;
using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Skiff.Agent.Kubelet.Config;

public sealed partial class ContainerConfigBuilder
{
    /// <summary>
    /// envFrom first (keys that are not valid names are skipped), then env in order: a later name replaces an earlier one,
    /// values expand <c>$(VAR)</c> against what came before, valueFrom reads the downward API, a ConfigMap or a Secret.
    /// </summary>
    private async Task<IReadOnlyList<KeyValuePair<string, string>>> EnvAsync(V1Pod pod, V1Container container, string? podIp, CancellationToken cancellationToken)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        var env = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var sources = new Sources(this, ns, cancellationToken);
        foreach (V1EnvFromSource from in container.EnvFrom ?? [])
        {
            IEnumerable<KeyValuePair<string, string>>? data = null;
            if (from.ConfigMapRef is { } cmRef)
            {
                data = (await sources.ConfigMapAsync(cmRef.Name, cmRef.Optional == true).ConfigureAwait(false))?.Data;
            }
            else if (from.SecretRef is { } secretRef)
            {
                data = (await sources.SecretAsync(secretRef.Name, secretRef.Optional == true).ConfigureAwait(false))?.Data?
                    .Select(kv => KeyValuePair.Create(kv.Key, Encoding.UTF8.GetString(kv.Value ?? [])));
            }

            foreach ((string key, string value) in data ?? [])
            {
                string name = (from.Prefix ?? "") + key;
                if (EnvExpansion.IsEnvVarName(name))
                {
                    env[name] = value;
                }
            }
        }

        foreach (V1EnvVar var in container.Env ?? [])
        {
            string? value = var.ValueFrom is null
                ? EnvExpansion.Expand(var.Value ?? "", n => env.TryGetValue(n, out string? v) ? v : null)
                : await ValueFromAsync(pod, container, var.ValueFrom, podIp, sources).ConfigureAwait(false);
            if (value is not null)
            {
                env[var.Name] = value;
            }
        }

        return [.. env];
    }

    /// <summary>The value of one valueFrom, or null for an optional key or object that is missing.</summary>
    private async Task<string?> ValueFromAsync(V1Pod pod, V1Container container, V1EnvVarSource source, string? podIp, Sources sources)
    {
        if (source.FieldRef is { } field)
        {
            return FieldValue(pod, field.FieldPath, podIp, _options.InternalIp);
        }

        if (source.ResourceFieldRef is { } resourceRef)
        {
            return ResourceValue(pod, container, resourceRef, _node.Value);
        }

        if (source.ConfigMapKeyRef is { } cmKey)
        {
            bool optional = cmKey.Optional == true;
            V1ConfigMap? map = await sources.ConfigMapAsync(cmKey.Name, optional).ConfigureAwait(false);
            if (map is null)
            {
                return null;
            }

            if (map.Data?.TryGetValue(cmKey.Key, out string? value) == true)
            {
                return value;
            }

            return optional ? null : throw new ContainerConfigException($"couldn't find key {cmKey.Key} in ConfigMap {sources.Namespace}/{cmKey.Name}");
        }

        if (source.SecretKeyRef is { } secretKey)
        {
            bool optional = secretKey.Optional == true;
            V1Secret? secret = await sources.SecretAsync(secretKey.Name, optional).ConfigureAwait(false);
            if (secret is null)
            {
                return null;
            }

            if (secret.Data?.TryGetValue(secretKey.Key, out byte[]? bytes) == true)
            {
                return Encoding.UTF8.GetString(bytes ?? []);
            }

            return optional ? null : throw new ContainerConfigException($"couldn't find key {secretKey.Key} in Secret {sources.Namespace}/{secretKey.Name}");
        }

        return "";
    }

    /// <summary>A downward API field: metadata name/namespace/uid/labels['k']/annotations['k'], spec nodeName/serviceAccountName, status hostIP(s)/podIP(s).</summary>
    public static string FieldValue(V1Pod pod, string fieldPath, string? podIp, string hostIp)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(fieldPath);
        if (Subscript(fieldPath, "metadata.labels") is { } label)
        {
            return pod.Metadata.Labels?.TryGetValue(label, out string? v) == true ? v : "";
        }

        if (Subscript(fieldPath, "metadata.annotations") is { } annotation)
        {
            return pod.Metadata.Annotations?.TryGetValue(annotation, out string? v) == true ? v : "";
        }

        string ip = podIp ?? pod.Status?.PodIP ?? "";
        return fieldPath switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.NamespaceProperty ?? "default",
            "metadata.uid" => pod.Metadata.Uid,
            "spec.nodeName" => pod.Spec?.NodeName ?? "",
            "spec.serviceAccountName" => pod.Spec?.ServiceAccountName ?? "",
            "status.hostIP" or "status.hostIPs" => hostIp,
            "status.podIP" or "status.podIPs" => ip,
            _ => throw new ContainerConfigException("unsupported fieldPath: " + fieldPath),
        };
    }

    /// <summary>
    /// limits/requests of cpu, memory or ephemeral-storage of the named container (this one by default), divided by the
    /// divisor and rounded up; a missing limit is the node's allocatable amount, a missing request 0.
    /// </summary>
    public static string ResourceValue(V1Pod pod, V1Container container, V1ResourceFieldSelector selector, NodeResources node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(node);
        V1Container target = string.IsNullOrEmpty(selector.ContainerName)
            ? container
            : PodResources.AllContainers(pod).FirstOrDefault(c => c.Name == selector.ContainerName)
                ?? throw new ContainerConfigException($"container {selector.ContainerName} not found");
        string[] parts = selector.Resource.Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests"))
        {
            throw new ContainerConfigException("unsupported container resource : " + selector.Resource);
        }

        bool limit = parts[0] == "limits";
        ResourceQuantity? quantity = limit ? PodResources.Limit(target, parts[1]) : PodResources.Request(target, parts[1]);
        decimal divisor = selector.Divisor?.ToDecimal() is decimal d && d != 0 ? d : 1;
        decimal amount = parts[1] switch
        {
            "cpu" => quantity?.ToDecimal() ?? (limit ? node.MilliCpu / 1000m : 0),
            "memory" => quantity?.ToDecimal() ?? (limit ? node.MemoryBytes : 0),
            "ephemeral-storage" => quantity?.ToDecimal() ?? (limit ? node.EphemeralStorageBytes : 0),
            _ => throw new ContainerConfigException("unsupported container resource : " + selector.Resource),
        };
        if (parts[1] == "cpu")
        {
            // Upstream divides millicores, so a 1m divisor on 250m gives 250 and the default divisor rounds 250m up to 1.
            return ((long)Math.Ceiling(Math.Ceiling(amount * 1000) / Math.Ceiling(divisor * 1000))).ToString(CultureInfo.InvariantCulture);
        }

        return ((long)Math.Ceiling(amount / divisor)).ToString(CultureInfo.InvariantCulture);
    }

    private static string? Subscript(string path, string prefix) =>
        path.StartsWith(prefix + "['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal)
            ? path[(prefix.Length + 2)..^2]
            : null;

    /// <summary>ConfigMaps and Secrets read once per container; a missing one is an error unless optional.</summary>
    private sealed class Sources(ContainerConfigBuilder builder, string ns, CancellationToken cancellationToken)
    {
        private readonly Dictionary<string, V1ConfigMap?> _maps = new(StringComparer.Ordinal);
        private readonly Dictionary<string, V1Secret?> _secrets = new(StringComparer.Ordinal);

        public string Namespace => ns;

        public async Task<V1ConfigMap?> ConfigMapAsync(string name, bool optional)
        {
            if (!_maps.TryGetValue(name, out V1ConfigMap? map))
            {
                map = await ReadAsync(() => builder._client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
                _maps[name] = map;
            }

            return map is null && !optional ? throw new ContainerConfigException($"configmap \"{name}\" not found") : map;
        }

        public async Task<V1Secret?> SecretAsync(string name, bool optional)
        {
            if (!_secrets.TryGetValue(name, out V1Secret? secret))
            {
                secret = await ReadAsync(() => builder._client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
                _secrets[name] = secret;
            }

            return secret is null && !optional ? throw new ContainerConfigException($"secret \"{name}\" not found") : secret;
        }

        private static async Task<T?> ReadAsync<T>(Func<Task<T>> read)
            where T : class
        {
            try
            {
                return await read().ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }
    }
}
