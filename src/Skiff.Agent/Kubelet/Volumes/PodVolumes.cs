using System.Text;
using k8s.Models;
using Skiff.Agent.Kubelet.Config;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Volumes;

/// <summary>Where one prepared volume lives on the host, and whether containers may only read it.</summary>
/// <param name="HostPath">The directory (or, for a hostPath volume, the file) on the node.</param>
/// <param name="ForceReadOnly">True for configMap, secret, downwardAPI and projected volumes: the kubelet owns their contents.</param>
/// <param name="CreateSubPaths">True where a missing subPath is created (emptyDir, hostPath) rather than refused.</param>
public sealed record PreparedVolume(string HostPath, bool ForceReadOnly, bool CreateSubPaths);

/// <summary>The prepared volumes of one pod.</summary>
public sealed class PodVolumes
{
    private readonly IReadOnlyDictionary<string, PreparedVolume> _volumes;

    public PodVolumes()
        : this(new Dictionary<string, PreparedVolume>())
    {
    }

    public PodVolumes(IReadOnlyDictionary<string, PreparedVolume> volumes)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        _volumes = volumes;
    }

    /// <summary>The prepared volumes by name.</summary>
    public IReadOnlyDictionary<string, PreparedVolume> Volumes => _volumes;

    /// <summary>
    /// The CRI mounts of <paramref name="container"/>, from its volumeMounts (mountPath, readOnly, subPath, subPathExpr with
    /// <c>$(VAR)</c> from the container's plain env values, mountPropagation).
    /// </summary>
    /// <exception cref="ContainerConfigException">A mount names an unknown volume or a subPath that is invalid or escapes the volume.</exception>
    public IReadOnlyList<Mount> MountsFor(V1Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var mounts = new List<Mount>();
        foreach (V1VolumeMount vm in container.VolumeMounts ?? [])
        {
            if (!_volumes.TryGetValue(vm.Name ?? string.Empty, out PreparedVolume? volume))
            {
                throw new ContainerConfigException($"cannot find volume \"{vm.Name}\" to mount into container \"{container.Name}\"");
            }

            string subPath = vm.SubPath ?? string.Empty;
            if (!string.IsNullOrEmpty(vm.SubPathExpr))
            {
                subPath = ExpandSubPathExpr(vm.SubPathExpr, container);
            }

            string hostPath = subPath.Length == 0 ? volume.HostPath : SubPathOf(volume, subPath);
            mounts.Add(new Mount
            {
                ContainerPath = vm.MountPath,
                HostPath = hostPath,
                Readonly = volume.ForceReadOnly || vm.ReadOnlyProperty == true,
                Propagation = vm.MountPropagation switch
                {
                    "HostToContainer" => MountPropagation.PropagationHostToContainer,
                    "Bidirectional" => MountPropagation.PropagationBidirectional,
                    _ => MountPropagation.PropagationPrivate,
                },
            });
        }

        return mounts;
    }

    /// <summary>Expands <c>$(VAR)</c> from the container's env (plain values); <c>$$</c> is a literal <c>$</c>; unknown names stay as written.</summary>
    public static string ExpandSubPathExpr(string expression, V1Container container)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(container);
        var env = new Dictionary<string, string>();
        foreach (V1EnvVar e in container.Env ?? [])
        {
            if (e.ValueFrom is null && e.Name is not null)
            {
                env[e.Name] = e.Value ?? string.Empty;
            }
        }

        var result = new StringBuilder();
        for (int i = 0; i < expression.Length; i++)
        {
            if (expression[i] == '$' && i + 1 < expression.Length && expression[i + 1] == '$')
            {
                result.Append('$');
                i++;
            }
            else if (expression[i] == '$' && i + 1 < expression.Length && expression[i + 1] == '(' && expression.IndexOf(')', i + 2) is int end and > 0)
            {
                string name = expression[(i + 2)..end];
                result.Append(env.TryGetValue(name, out string? value) ? value : expression[i..(end + 1)]);
                i = end;
            }
            else
            {
                result.Append(expression[i]);
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// The host path of <paramref name="subPath"/> inside the volume: relative, without <c>..</c>, and (symlinks resolved)
    /// still inside the volume. A missing one is created as a directory in emptyDir and hostPath volumes.
    /// </summary>
    private static string SubPathOf(PreparedVolume volume, string subPath)
    {
        if (subPath.StartsWith('/') || subPath.Split('/').Any(s => s == ".."))
        {
            throw new ContainerConfigException($"invalid subPath \"{subPath}\": must be a relative path without '..'");
        }

        string full = Path.Combine(volume.HostPath, subPath);
        if (!Path.Exists(full))
        {
            if (!volume.CreateSubPaths)
            {
                throw new ContainerConfigException($"subPath \"{subPath}\" does not exist in the volume");
            }

            Directory.CreateDirectory(full);
        }

        string root = HostMounts.RealPath(volume.HostPath) ?? volume.HostPath;
        string resolved = HostMounts.RealPath(full) ?? full;
        if (resolved != root && !resolved.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new ContainerConfigException($"subPath \"{subPath}\" resolves to {resolved}, outside the volume");
        }

        return resolved;
    }
}
