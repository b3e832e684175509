using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Skiff.Machinery.Catalog;
using Skiff.Machinery.Json;

namespace Skiff.Machinery.Rest;

/// <summary>
/// Group-agnostic REST calls for any <see cref="ResourceInfo"/>. The generated client has no generic calls for the core
/// group, so these go through the client's own <see cref="HttpClient"/>, which carries the component's client certificate
/// and trust.
/// </summary>
public static class RawRest
{
    public const string MergePatch = "application/merge-patch+json";

    /// <summary>How long a single non-watch request may take (the generated client's default timeout).</summary>
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>"api/v1/namespaces/ns/pods", or "apis/apps/v1/deployments" for all namespaces or a cluster-scoped resource.</summary>
    public static string CollectionPath(ResourceInfo resource, string? ns)
    {
        ArgumentNullException.ThrowIfNull(resource);
        string prefix = string.IsNullOrEmpty(resource.Group) ? $"api/{resource.Version}" : $"apis/{resource.Group}/{resource.Version}";
        return resource.Namespaced && !string.IsNullOrEmpty(ns)
            ? $"{prefix}/namespaces/{Uri.EscapeDataString(ns)}/{resource.Plural}"
            : $"{prefix}/{resource.Plural}";
    }

    public static string ObjectPath(ResourceInfo resource, string? ns, string name) =>
        $"{CollectionPath(resource, ns)}/{Uri.EscapeDataString(name)}";

    /// <summary>
    /// Sends one request relative to the client's base URI. A request that is not a watch (<paramref name="streaming"/>
    /// false) is cut after 100 s, as the generated calls are; the caller disposes the response.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(
        IKubernetes client,
        HttpMethod method,
        string path,
        HttpContent? content,
        CancellationToken cancellationToken,
        bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (client is not Kubernetes kubernetes)
        {
            throw new ArgumentException("Raw REST needs the KubernetesClient implementation, which exposes its HttpClient.", nameof(client));
        }

        using var timeout = streaming ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout?.CancelAfter(s_requestTimeout);
        using var request = new HttpRequestMessage(method, new Uri(kubernetes.BaseUri, path)) { Content = content };
        request.Headers.Accept.ParseAdd("application/json");
        return await kubernetes.HttpClient.SendAsync(
            request,
            streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
            timeout?.Token ?? cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GETs one object; null when it does not exist (404).</summary>
    public static async Task<T?> GetAsync<T>(IKubernetes client, ResourceInfo resource, string? ns, string name, CancellationToken cancellationToken)
        where T : class
    {
        using HttpResponseMessage response = await SendAsync(client, HttpMethod.Get, ObjectPath(resource, ns, name), null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return SkiffJson.FromBytes<T>(body);
    }

    /// <summary>Deletes one object with <paramref name="options"/>; false when it was already gone (404).</summary>
    public static async Task<bool> DeleteAsync(IKubernetes client, ResourceInfo resource, string? ns, string name, V1DeleteOptions? options, CancellationToken cancellationToken)
    {
        using HttpContent? content = options is null ? null : Json(options, "application/json");
        using HttpResponseMessage response = await SendAsync(client, HttpMethod.Delete, ObjectPath(resource, ns, name), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sends a JSON merge patch; false when the object is gone (404).</summary>
    public static async Task<bool> MergePatchAsync(IKubernetes client, ResourceInfo resource, string? ns, string name, object patch, CancellationToken cancellationToken)
    {
        using HttpContent content = Json(patch, MergePatch);
        using HttpResponseMessage response = await SendAsync(client, HttpMethod.Patch, ObjectPath(resource, ns, name), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Throws a <see cref="KubernetesException"/> carrying the server's Status for any non-2xx answer.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        V1Status? status = null;
        try
        {
            status = JsonSerializer.Deserialize<V1Status>(body, SkiffJson.Options);
        }
        catch (JsonException)
        {
            // Not a Status (a proxy's error page): the status code and raw body below say enough.
        }

        status ??= new V1Status();
        status.Code ??= (int)response.StatusCode;
        status.Message ??= $"{(int)response.StatusCode} {response.ReasonPhrase}: {body}";
        throw new KubernetesException(status);
    }

    private static ByteArrayContent Json(object value, string mediaType)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), SkiffJson.Options));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = Encoding.UTF8.WebName };
        return content;
    }
}
