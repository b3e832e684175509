using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>The file sets of configMap, secret, downwardAPI and projected volumes, read through the API.</summary>
public sealed partial class VolumeManager
{
    private async Task<Dictionary<string, FileProjection>> FilesAsync(V1Pod pod, V1Volume volume, PodVolumeState state, CancellationToken cancellationToken)
    {
        string ns = Namespace(pod);
        if (volume.ConfigMap is { } configMap)
        {
            return await ConfigMapFilesAsync(ns, configMap.Name, configMap.Items, configMap.DefaultMode ?? DefaultFileMode, configMap.Optional == true, cancellationToken)
                .ConfigureAwait(false);
        }

        if (volume.Secret is { } secret)
        {
            return await SecretFilesAsync(ns, secret.SecretName, secret.Items, secret.DefaultMode ?? DefaultFileMode, secret.Optional == true, cancellationToken)
                .ConfigureAwait(false);
        }

        if (volume.DownwardAPI is { } downward)
        {
            return DownwardApiFiles.Build(pod, downward.Items ?? [], downward.DefaultMode ?? DefaultFileMode, _node.Value);
        }

        V1ProjectedVolumeSource projected = volume.Projected!;
        int mode = projected.DefaultMode ?? DefaultFileMode;
        var files = new Dictionary<string, FileProjection>();
        foreach (V1VolumeProjection source in projected.Sources ?? [])
        {
            Dictionary<string, FileProjection> part;
            if (source.ServiceAccountToken is { } token)
            {
                part = new Dictionary<string, FileProjection>
                {
                    [token.Path] = new(Encoding.UTF8.GetBytes(await TokenAsync(pod, volume.Name, token, state, cancellationToken).ConfigureAwait(false)), (UnixFileMode)mode),
                };
            }
            else if (source.ConfigMap is { } cm)
            {
                part = await ConfigMapFilesAsync(ns, cm.Name, cm.Items, mode, cm.Optional == true, cancellationToken).ConfigureAwait(false);
            }
            else if (source.Secret is { } s)
            {
                part = await SecretFilesAsync(ns, s.Name, s.Items, mode, s.Optional == true, cancellationToken).ConfigureAwait(false);
            }
            else if (source.DownwardAPI is { } d)
            {
                part = DownwardApiFiles.Build(pod, d.Items ?? [], mode, _node.Value);
            }
            else
            {
                throw new VolumeMountException($"volume \"{volume.Name}\": projected sources other than serviceAccountToken, configMap, secret and downwardAPI are not supported");
            }

            foreach ((string path, FileProjection file) in part)
            {
                files[path] = file;
            }
        }

        return files;
    }

    private async Task<Dictionary<string, FileProjection>> ConfigMapFilesAsync(
        string ns, string? name, IList<V1KeyToPath>? items, int defaultMode, bool optional, CancellationToken cancellationToken)
    {
        V1ConfigMap? configMap = await GetOrNullAsync(() => _client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (configMap is null)
        {
            return optional ? [] : throw new VolumeMountException($"configmap \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>();
        foreach ((string key, string value) in configMap.Data ?? new Dictionary<string, string>())
        {
            data[key] = Encoding.UTF8.GetBytes(value ?? string.Empty);
        }

        foreach ((string key, byte[] value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
        {
            data[key] = value ?? [];
        }

        return Project(data, items, defaultMode, optional, "configmap", name);
    }

    private async Task<Dictionary<string, FileProjection>> SecretFilesAsync(
        string ns, string? name, IList<V1KeyToPath>? items, int defaultMode, bool optional, CancellationToken cancellationToken)
    {
        V1Secret? secret = await GetOrNullAsync(() => _client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (secret is null)
        {
            return optional ? [] : throw new VolumeMountException($"secret \"{name}\" not found");
        }

        var data = new Dictionary<string, byte[]>();
        foreach ((string key, byte[] value) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            data[key] = value ?? [];
        }

        return Project(data, items, defaultMode, optional, "secret", name);
    }

    /// <summary>Every key as a file of its name, or only <paramref name="items"/> (key → path, mode) when given.</summary>
    private static Dictionary<string, FileProjection> Project(
        Dictionary<string, byte[]> data, IList<V1KeyToPath>? items, int defaultMode, bool optional, string kind, string? name)
    {
        var files = new Dictionary<string, FileProjection>();
        if (items is null || items.Count == 0)
        {
            foreach ((string key, byte[] value) in data)
            {
                files[key] = new FileProjection(value, (UnixFileMode)defaultMode);
            }

            return files;
        }

        foreach (V1KeyToPath item in items)
        {
            if (!data.TryGetValue(item.Key ?? string.Empty, out byte[]? value))
            {
                if (optional)
                {
                    continue;
                }

                throw new VolumeMountException($"{kind} \"{name}\" references non-existent {(kind == "secret" ? "secret" : "config")} key: {item.Key}");
            }

            files[item.Path] = new FileProjection(value, (UnixFileMode)(item.Mode ?? defaultMode));
        }

        return files;
    }

    /// <summary>
    /// A token for the pod's service account from TokenRequest (audience and expirationSeconds from the source, the pod as
    /// boundObjectRef), reused until 80% of its lifetime passed.
    /// </summary>
    private async Task<string> TokenAsync(V1Pod pod, string volumeName, V1ServiceAccountTokenProjection source, PodVolumeState state, CancellationToken cancellationToken)
    {
        string key = volumeName + "/" + source.Path;
        DateTimeOffset now = _time.GetUtcNow();
        if (state.Tokens.TryGetValue(key, out var cached) && state.TokenRenewals.TryGetValue(key, out DateTimeOffset renewAt) && now < renewAt)
        {
            return cached.Token;
        }

        string account = string.IsNullOrEmpty(pod.Spec?.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
        var request = new Authenticationv1TokenRequest
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "TokenRequest",
            Spec = new V1TokenRequestSpec
            {
                Audiences = string.IsNullOrEmpty(source.Audience) ? [] : [source.Audience],
                ExpirationSeconds = source.ExpirationSeconds ?? 3600,
                BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
            },
        };
        Authenticationv1TokenRequest answer;
        try
        {
            answer = await _client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, account, Namespace(pod), cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new VolumeMountException($"failed to fetch token: serviceaccounts \"{account}\" not found", e);
        }

        string token = answer.Status?.Token ?? throw new VolumeMountException($"the TokenRequest for service account \"{account}\" returned no token");
        DateTimeOffset expires = answer.Status.ExpirationTimestamp is DateTime at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : now.AddSeconds(source.ExpirationSeconds ?? 3600);
        state.Tokens[key] = (token, expires);
        state.TokenRenewals[key] = now + ((expires - now) * 0.8);
        TokenIssued(_logger, volumeName, Namespace(pod), pod.Metadata.Name, expires);
        return token;
    }

    private static async Task<T?> GetOrNullAsync<T>(Func<Task<T>> read)
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
