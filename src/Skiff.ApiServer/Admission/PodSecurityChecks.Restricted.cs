using k8s.Models;

namespace Skiff.ApiServer.Admission;

/// <summary>The checks only the restricted level runs.</summary>
internal static partial class PodSecurityChecks
{
    private static (string, string)? AllowPrivilegeEscalation(List<V1Container> containers)
    {
        List<string> bad = [.. containers.Where(c => c.SecurityContext?.AllowPrivilegeEscalation != false).Select(c => c.Name)];
        return bad.Count == 0 ? null : ("allowPrivilegeEscalation != false", $"{Containers(bad)} must set securityContext.allowPrivilegeEscalation=false");
    }

    private static (string, string)? CapabilitiesRestricted(List<V1Container> containers)
    {
        List<string> missingDrop = [.. containers.Where(c => c.SecurityContext?.Capabilities?.Drop?.Contains("ALL") != true).Select(c => c.Name)];
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        var adding = new List<string>();
        foreach (V1Container container in containers)
        {
            List<string> extra = [.. (container.SecurityContext?.Capabilities?.Add ?? []).Where(c => c != "NET_BIND_SERVICE")];
            if (extra.Count > 0)
            {
                adding.Add(container.Name);
                forbidden.UnionWith(extra);
            }
        }

        var details = new List<string>();
        if (missingDrop.Count > 0)
        {
            details.Add($"{Containers(missingDrop)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (adding.Count > 0)
        {
            details.Add($"{Containers(adding)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
        }

        return details.Count == 0 ? null : ("unrestricted capabilities", string.Join("; ", details));
    }

    private static (string, string)? RestrictedVolumes(V1PodSpec spec)
    {
        var bad = new SortedSet<string>(StringComparer.Ordinal);
        foreach (V1Volume volume in spec.Volumes ?? [])
        {
            bool allowed = volume is not null && (volume.ConfigMap is not null || volume.Csi is not null || volume.DownwardAPI is not null || volume.EmptyDir is not null
                || volume.Ephemeral is not null || volume.PersistentVolumeClaim is not null || volume.Projected is not null || volume.Secret is not null);
            if (!allowed && volume is not null)
            {
                bad.Add(volume.Name);
            }
        }

        // Go's %q of a string slice: ["a" "b"].
        return bad.Count == 0 ? null : ("restricted volume types", $"volumes [{string.Join(" ", bad.Select(v => $"\"{v}\""))}] have restricted types");
    }

    private static (string, string)? RunAsNonRoot(V1PodSpec spec, List<V1Container> containers)
    {
        var setters = new List<string>();
        bool podNonRoot = false;
        if (spec.SecurityContext?.RunAsNonRoot is bool podValue)
        {
            if (podValue)
            {
                podNonRoot = true;
            }
            else
            {
                setters.Add("pod");
            }
        }

        List<string> explicitlyBad = [.. containers.Where(c => c.SecurityContext?.RunAsNonRoot == false).Select(c => c.Name)];
        List<string> implicitlyBad = [.. containers.Where(c => c.SecurityContext?.RunAsNonRoot is null && !podNonRoot).Select(c => c.Name)];
        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad));
        }

        if (setters.Count > 0)
        {
            return ("runAsNonRoot != true", $"{string.Join(" and ", setters)} must not set securityContext.runAsNonRoot=false");
        }

        return implicitlyBad.Count == 0 ? null : ("runAsNonRoot != true", $"pod or {Containers(implicitlyBad)} must set securityContext.runAsNonRoot=true");
    }

    private static (string, string)? RunAsUser(V1PodSpec spec, List<V1Container> containers)
    {
        var setters = new List<string>();
        if (spec.SecurityContext?.RunAsUser == 0)
        {
            setters.Add("pod");
        }

        List<string> bad = [.. containers.Where(c => c.SecurityContext?.RunAsUser == 0).Select(c => c.Name)];
        if (bad.Count > 0)
        {
            setters.Add(Containers(bad));
        }

        return setters.Count == 0 ? null : ("runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0");
    }

    private static (string, string)? SeccompRestricted(V1PodSpec spec, List<V1Container> containers)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        bool podSet = false;
        if (spec.SecurityContext?.SeccompProfile is { } podProfile)
        {
            if (ValidSeccomp(podProfile.Type))
            {
                podSet = true;
            }
            else
            {
                setters.Add("pod");
                values.Add(podProfile.Type ?? string.Empty);
            }
        }

        List<V1Container> explicitlyBad = [.. containers.Where(c => c.SecurityContext?.SeccompProfile is { } p && !ValidSeccomp(p.Type))];
        List<string> implicitlyBad = [.. containers.Where(c => c.SecurityContext?.SeccompProfile is null && !podSet).Select(c => c.Name)];
        if (explicitlyBad.Count > 0)
        {
            setters.Add(Containers(explicitlyBad.Select(c => c.Name)));
            values.UnionWith(explicitlyBad.Select(c => c.SecurityContext.SeccompProfile.Type ?? string.Empty));
        }

        if (setters.Count > 0)
        {
            return ("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values)}");
        }

        return implicitlyBad.Count == 0
            ? null
            : ("seccompProfile", $"pod or {Containers(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
    }
}
