using k8s.Models;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet.Config;

/// <summary>
/// The pod's and the container's securityContext as CRI sees them: the container's fields override the pod's defaults,
/// fsGroup becomes a supplemental group, allowPrivilegeEscalation=false is no_new_privs, hostNetwork/hostPID/hostIPC are
/// NODE namespaces.
/// </summary>
public static class SecurityContexts
{
    /// <summary>Network POD (NODE with hostNetwork), pid CONTAINER (POD with shareProcessNamespace, NODE with hostPID), ipc POD (NODE with hostIPC).</summary>
    public static NamespaceOption Namespaces(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1PodSpec spec = pod.Spec ?? new V1PodSpec();
        return new NamespaceOption
        {
            Network = spec.HostNetwork == true ? NamespaceMode.Node : NamespaceMode.Pod,
            Pid = spec.HostPID == true ? NamespaceMode.Node : spec.ShareProcessNamespace == true ? NamespaceMode.Pod : NamespaceMode.Container,
            Ipc = spec.HostIPC == true ? NamespaceMode.Node : NamespaceMode.Pod,
        };
    }

    /// <summary>The sandbox runs as the pod's user and groups, privileged when any container is.</summary>
    public static LinuxSandboxSecurityContext Sandbox(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        V1PodSecurityContext? podSc = pod.Spec?.SecurityContext;
        var sc = new LinuxSandboxSecurityContext
        {
            NamespaceOptions = Namespaces(pod),
            Privileged = PodResources.AllContainers(pod).Any(c => c.SecurityContext?.Privileged == true),
        };
        if (podSc?.RunAsUser is long user)
        {
            sc.RunAsUser = new Int64Value { Value = user };
        }

        if (podSc?.RunAsGroup is long group)
        {
            sc.RunAsGroup = new Int64Value { Value = group };
        }

        sc.SupplementalGroups.AddRange(SupplementalGroups(podSc));
        return sc;
    }

    /// <summary>The container's effective security context (its own fields over the pod's).</summary>
    public static LinuxContainerSecurityContext Container(V1Pod pod, V1Container container)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        V1PodSecurityContext? podSc = pod.Spec?.SecurityContext;
        V1SecurityContext? sc = container.SecurityContext;
        var result = new LinuxContainerSecurityContext
        {
            NamespaceOptions = Namespaces(pod),
            Privileged = sc?.Privileged == true,
            ReadonlyRootfs = sc?.ReadOnlyRootFilesystem == true,
            NoNewPrivs = sc?.AllowPrivilegeEscalation == false,
        };
        if ((sc?.RunAsUser ?? podSc?.RunAsUser) is long user)
        {
            result.RunAsUser = new Int64Value { Value = user };
        }

        if ((sc?.RunAsGroup ?? podSc?.RunAsGroup) is long group)
        {
            result.RunAsGroup = new Int64Value { Value = group };
        }

        result.SupplementalGroups.AddRange(SupplementalGroups(podSc));
        if (sc?.Capabilities is { } caps)
        {
            result.Capabilities = new Capability();
            result.Capabilities.AddCapabilities.AddRange(caps.Add ?? []);
            result.Capabilities.DropCapabilities.AddRange(caps.Drop ?? []);
        }

        return result;
    }

    /// <summary>
    /// With runAsNonRoot the container must not run as uid 0: an explicit runAsUser 0 is refused, and without runAsUser so is
    /// an image whose user is root (no user at all counts as root) or a name that cannot be checked.
    /// </summary>
    public static void VerifyRunAsNonRoot(V1Pod pod, V1Container container, long? imageUid, string? imageUser)
    {
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(container);
        if ((container.SecurityContext?.RunAsNonRoot ?? pod.Spec?.SecurityContext?.RunAsNonRoot) != true)
        {
            return;
        }

        string who = $"(pod: \"{pod.Metadata.Name}_{pod.Metadata.NamespaceProperty ?? "default"}({pod.Metadata.Uid})\", container: {container.Name})";
        if ((container.SecurityContext?.RunAsUser ?? pod.Spec?.SecurityContext?.RunAsUser) is long user)
        {
            if (user == 0)
            {
                throw new ContainerConfigException("container's runAsUser breaks non-root policy " + who);
            }

            return;
        }

        if (imageUid is null && !string.IsNullOrEmpty(imageUser))
        {
            // "uid" or "uid:gid"; a name cannot be checked without the image's /etc/passwd.
            if (long.TryParse(imageUser.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture, out long parsed))
            {
                imageUid = parsed;
            }
            else
            {
                throw new ContainerConfigException($"container has runAsNonRoot and image has non-numeric user ({imageUser}), cannot verify user is non-root {who}");
            }
        }

        if ((imageUid ?? 0) == 0)
        {
            throw new ContainerConfigException("container has runAsNonRoot and image will run as root " + who);
        }
    }

    private static IEnumerable<long> SupplementalGroups(V1PodSecurityContext? podSc)
    {
        if (podSc?.FsGroup is long fsGroup)
        {
            yield return fsGroup;
        }

        foreach (long? group in podSc?.SupplementalGroups ?? [])
        {
            if (group is long g)
            {
                yield return g;
            }
        }
    }
}
