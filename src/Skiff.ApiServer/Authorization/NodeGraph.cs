using System.Text.Json.Nodes;

namespace Skiff.ApiServer.Authorization;

/// <summary>
/// What a pod makes its node need (the edges of upstream's node authorizer graph): the secrets, config maps, claims and
/// service account its spec names in volumes (also projected sources), env and envFrom of every container, and image pull secrets.
/// </summary>
internal static class NodeGraph
{
    public static IEnumerable<string> Secrets(JsonNode pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        JsonNode? spec = pod["spec"];
        foreach (JsonNode? pull in spec?["imagePullSecrets"] as JsonArray ?? [])
        {
            yield return Text(pull?["name"]);
        }

        foreach (JsonNode? volume in spec?["volumes"] as JsonArray ?? [])
        {
            yield return Text(volume?["secret"]?["secretName"]);
            foreach (string name in SecretRefs(volume))
            {
                yield return name;
            }

            foreach (JsonNode? source in volume?["projected"]?["sources"] as JsonArray ?? [])
            {
                yield return Text(source?["secret"]?["name"]);
            }
        }

        foreach (JsonNode? container in Containers(spec))
        {
            foreach (JsonNode? env in container?["env"] as JsonArray ?? [])
            {
                yield return Text(env?["valueFrom"]?["secretKeyRef"]?["name"]);
            }

            foreach (JsonNode? from in container?["envFrom"] as JsonArray ?? [])
            {
                yield return Text(from?["secretRef"]?["name"]);
            }
        }
    }

    public static IEnumerable<string> ConfigMaps(JsonNode pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        JsonNode? spec = pod["spec"];
        foreach (JsonNode? volume in spec?["volumes"] as JsonArray ?? [])
        {
            yield return Text(volume?["configMap"]?["name"]);
            foreach (JsonNode? source in volume?["projected"]?["sources"] as JsonArray ?? [])
            {
                yield return Text(source?["configMap"]?["name"]);
            }
        }

        foreach (JsonNode? container in Containers(spec))
        {
            foreach (JsonNode? env in container?["env"] as JsonArray ?? [])
            {
                yield return Text(env?["valueFrom"]?["configMapKeyRef"]?["name"]);
            }

            foreach (JsonNode? from in container?["envFrom"] as JsonArray ?? [])
            {
                yield return Text(from?["configMapRef"]?["name"]);
            }
        }
    }

    /// <summary>Claims a pod mounts, including the claims its generic ephemeral volumes create (<c>POD-VOLUME</c>).</summary>
    public static IEnumerable<string> Claims(JsonNode pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string podName = Text(pod["metadata"]?["name"]);
        foreach (JsonNode? volume in pod["spec"]?["volumes"] as JsonArray ?? [])
        {
            yield return Text(volume?["persistentVolumeClaim"]?["claimName"]);
            if (volume?["ephemeral"] is not null)
            {
                yield return podName + "-" + Text(volume["name"]);
            }
        }
    }

    public static string ServiceAccount(JsonNode pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        string name = Text(pod["spec"]?["serviceAccountName"]);
        return name.Length == 0 ? "default" : name;
    }

    // Volume plugins that name a secret for the kubelet (CSI, flex, iSCSI and the like).
    private static IEnumerable<string> SecretRefs(JsonNode? volume)
    {
        if (volume is not JsonObject fields)
        {
            yield break;
        }

        foreach ((string _, JsonNode? plugin) in fields)
        {
            if (plugin is JsonObject settings)
            {
                yield return Text(settings["secretRef"]?["name"]);
                yield return Text(settings["nodePublishSecretRef"]?["name"]);
            }
        }
    }

    private static IEnumerable<JsonNode?> Containers(JsonNode? spec)
    {
        foreach (string field in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (JsonNode? container in spec?[field] as JsonArray ?? [])
            {
                yield return container;
            }
        }
    }

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : string.Empty;
}
