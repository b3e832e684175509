using System.Globalization;
using System.Text;
using k8s.Models;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>
/// The contents of downwardAPI volume files: fieldRef (metadata.name, namespace, uid, labels, annotations) and
/// resourceFieldRef (a container's requests and limits, limits defaulting to the node's allocatable, divided by the divisor
/// and rounded up), each as upstream's kubelet writes them.
/// </summary>
public static class DownwardApiFiles
{
    /// <summary>The file set of <paramref name="items"/>, each with its mode or <paramref name="defaultMode"/>.</summary>
    /// <exception cref="VolumeMountException">An unsupported field path, or a resource of an unknown container.</exception>
    public static Dictionary<string, FileProjection> Build(V1Pod pod, IEnumerable<V1DownwardAPIVolumeFile> items, int defaultMode, NodeAllocatable node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(node);
        var files = new Dictionary<string, FileProjection>();
        foreach (V1DownwardAPIVolumeFile item in items)
        {
            string value = item.FieldRef is { } field ? FieldValue(pod, field.FieldPath)
                : item.ResourceFieldRef is { } resource ? ResourceValue(pod, resource, node)
                : throw new VolumeMountException($"downwardAPI item \"{item.Path}\" has neither fieldRef nor resourceFieldRef");
            files[item.Path] = new FileProjection(Encoding.UTF8.GetBytes(value), (UnixFileMode)(item.Mode ?? defaultMode));
        }

        return files;
    }

    /// <summary>The value of a metadata field path as a volume file holds it.</summary>
    public static string FieldValue(V1Pod pod, string? fieldPath)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1ObjectMeta metadata = pod.Metadata ?? new V1ObjectMeta();
        return fieldPath switch
        {
            "metadata.name" => metadata.Name ?? string.Empty,
            "metadata.namespace" => metadata.NamespaceProperty ?? "default",
            "metadata.uid" => metadata.Uid ?? string.Empty,
            "metadata.labels" => FormatMap(metadata.Labels),
            "metadata.annotations" => FormatMap(metadata.Annotations),
            _ when TrySubscript(fieldPath, "metadata.labels", out string key) => metadata.Labels?.TryGetValue(key, out string? v) == true ? v : string.Empty,
            _ when TrySubscript(fieldPath, "metadata.annotations", out string key) => metadata.Annotations?.TryGetValue(key, out string? v) == true ? v : string.Empty,
            _ => throw new VolumeMountException($"unsupported fieldPath \"{fieldPath}\" in a downwardAPI volume"),
        };
    }

    /// <summary>One <c>key="value"</c> line per entry, sorted by key, values quoted as Go's %q does; no trailing newline.</summary>
    public static string FormatMap(IDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
        {
            return string.Empty;
        }

        return string.Join('\n', map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + Quote(p.Value ?? string.Empty)));
    }

    /// <summary>A container's resource (limits.cpu, requests.memory, ...) divided by the divisor (default 1), rounded up.</summary>
    public static string ResourceValue(V1Pod pod, V1ResourceFieldSelector selector, NodeAllocatable node)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(node);
        V1Container container = (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).FirstOrDefault(c => c.Name == selector.ContainerName)
            ?? throw new VolumeMountException($"resourceFieldRef names container \"{selector.ContainerName}\", which the pod does not have");
        string[] parts = (selector.Resource ?? string.Empty).Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests") || parts[1] is not ("cpu" or "memory" or "ephemeral-storage"))
        {
            throw new VolumeMountException($"unsupported resource \"{selector.Resource}\" in a downwardAPI volume");
        }

        IDictionary<string, ResourceQuantity>? set = parts[0] == "limits" ? container.Resources?.Limits : container.Resources?.Requests;
        decimal value;
        if (set?.TryGetValue(parts[1], out ResourceQuantity? quantity) == true && quantity is not null)
        {
            value = quantity.ToDecimal();
        }
        else if (parts[0] == "limits")
        {
            // Upstream: a container without a limit is limited by what the node can give.
            value = parts[1] switch { "cpu" => node.Cpu, "memory" => node.MemoryBytes, _ => node.EphemeralStorageBytes };
        }
        else
        {
            value = 0;
        }

        decimal divisor = selector.Divisor?.ToDecimal() is decimal d and > 0 ? d : 1;
        return decimal.Ceiling(value / divisor).ToString(CultureInfo.InvariantCulture);
    }

    private static bool TrySubscript(string? fieldPath, string prefix, out string key)
    {
        key = string.Empty;
        if (fieldPath is null || !fieldPath.StartsWith(prefix + "['", StringComparison.Ordinal) || !fieldPath.EndsWith("']", StringComparison.Ordinal))
        {
            return false;
        }

        key = fieldPath[(prefix.Length + 2)..^2];
        return true;
    }

    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (char c in value)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }
}

/// <summary>What the node can give a container without limits (for resourceFieldRef limits).</summary>
public sealed record NodeAllocatable(decimal Cpu, decimal MemoryBytes, decimal EphemeralStorageBytes)
{
    /// <summary>This machine: its processor count, MemTotal of /proc/meminfo and the size of the filesystem holding <paramref name="dataDir"/>.</summary>
    public static NodeAllocatable OfThisMachine(string dataDir)
    {
        decimal memory = 0;
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                memory = decimal.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                break;
            }
        }

        Directory.CreateDirectory(dataDir);
        decimal storage = new DriveInfo(dataDir).TotalSize;
        return new NodeAllocatable(Environment.ProcessorCount, memory, storage);
    }
}
