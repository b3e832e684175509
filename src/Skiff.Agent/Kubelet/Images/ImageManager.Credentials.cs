using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Skiff.Agent.Runtime;

namespace Skiff.Agent.Kubelet.Images;

public sealed partial class ImageManager
{
    private const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";
    private const string DockerConfigJsonKey = ".dockerconfigjson";
    private const string DockerCfgType = "kubernetes.io/dockercfg";
    private const string DockerCfgKey = ".dockercfg";

    /// <summary>
    /// The credentials to try, in order: those of the pod's imagePullSecrets that match the image (docker keyring rules), then
    /// the registries file's for the mirrors of the image's registry and for the registry itself. A single null (anonymous)
    /// when none applies. As in the kubelet, a secret that is missing or malformed is logged and skipped.
    /// </summary>
    private async Task<IReadOnlyList<RegistryCredential?>> CredentialsAsync(V1Pod pod, ImageReference image, CancellationToken cancellationToken)
    {
        var credentials = new List<RegistryCredential?>();
        DockerKeyring keyring = await PullSecretsKeyringAsync(pod, cancellationToken).ConfigureAwait(false);
        credentials.AddRange(keyring.Lookup(image));
        credentials.AddRange(RegistriesFileCredentials(image));
        return credentials.Count > 0 ? credentials : [null];
    }

    private async Task<DockerKeyring> PullSecretsKeyringAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var keyring = new DockerKeyring();
        string ns = pod.Metadata?.NamespaceProperty ?? "default";
        foreach (V1LocalObjectReference reference in pod.Spec?.ImagePullSecrets ?? [])
        {
            if (string.IsNullOrEmpty(reference?.Name))
            {
                continue;
            }

            V1Secret secret;
            try
            {
                secret = await _client.CoreV1.ReadNamespacedSecretAsync(reference.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                PullSecretUnusable(_logger, ns, reference.Name, pod.Metadata?.Name ?? "", "it cannot be read (" + e.Response.StatusCode + ")");
                continue;
            }

            AddSecret(keyring, secret, ns, reference.Name, pod.Metadata?.Name ?? "");
        }

        return keyring;
    }

    private void AddSecret(DockerKeyring keyring, V1Secret secret, string ns, string secretName, string podName)
    {
        (string key, bool legacy) = secret.Type switch
        {
            DockerConfigJsonType => (DockerConfigJsonKey, false),
            DockerCfgType => (DockerCfgKey, true),
            _ => ("", false),
        };
        if (key.Length == 0)
        {
            PullSecretUnusable(_logger, ns, secretName, podName, "its type is " + (secret.Type ?? "Opaque") + ", not " + DockerConfigJsonType + " or " + DockerCfgType);
            return;
        }

        if (secret.Data is null || !secret.Data.TryGetValue(key, out byte[]? json) || json is null)
        {
            PullSecretUnusable(_logger, ns, secretName, podName, "it has no " + key + " key");
            return;
        }

        try
        {
            keyring.AddDockerConfig(json, legacy, "secret " + ns + "/" + secretName);
        }
        catch (JsonException e)
        {
            PullSecretUnusable(_logger, ns, secretName, podName, key + " is not valid JSON: " + e.Message);
        }
    }

    private List<RegistryCredential> RegistriesFileCredentials(ImageReference image)
    {
        if (string.IsNullOrEmpty(_options.RegistriesFile))
        {
            return [];
        }

        RegistriesFile registries;
        try
        {
            registries = RegistriesFile.Load(_options.RegistriesFile);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            RegistriesFileUnreadable(_logger, _options.RegistriesFile, e);
            return [];
        }

        // containerd tries the mirrors first, then the registry: credentials go in the same order.
        IEnumerable<string> mirrors = registries.Mirrors.TryGetValue(image.Registry, out RegistryMirror? mirror)
            ? (mirror.Endpoint ?? []).Select(RegistryHosts.HostOf)
            : [];
        var found = new List<RegistryCredential>();
        foreach (string host in mirrors.Append(image.Registry).Distinct(StringComparer.Ordinal))
        {
            if (registries.Configs.TryGetValue(host, out RegistryConfig? config) && config?.Auth is { } auth)
            {
                string username = auth.Username ?? "";
                string password = auth.Password ?? "";
                if (!string.IsNullOrEmpty(auth.Auth) && DockerKeyring.TryDecodeAuth(auth.Auth, out string user, out string pass))
                {
                    (username, password) = (user, pass);
                }

                // The server address makes containerd send these credentials to this host only, not to the other hosts it tries;
                // containerd 1.6 compares the host of the URL it parses from it, so it needs a scheme.
                found.Add(new RegistryCredential(username, password, auth.IdentityToken, "registries file " + _options.RegistriesFile + " for " + host) { ServerAddress = RegistryHosts.WithScheme(host) });
            }
        }

        return found;
    }
}
