using k8s.Models;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// The Pod Security Standards checks (upstream's pod-security-admission policy package, latest version), each returning
/// upstream's reason and detail for a violation or null. Baseline checks run first, then the restricted ones, each group in
/// upstream's order (by check id); the restricted level leaves out the baseline checks its own replace (capabilities,
/// hostPath volumes, seccomp).
/// </summary>
internal static partial class PodSecurityChecks
{
    private static readonly HashSet<string> s_baselineCapabilities =
        ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];

    private static readonly HashSet<string> s_safeSysctls =
        ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"];

    private static readonly HashSet<string> s_seLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t"];

    /// <summary>The violations of <paramref name="level"/> (baseline or restricted) as (reason, detail) pairs, in upstream's order.</summary>
    public static List<(string Reason, string Detail)> Evaluate(string level, V1ObjectMeta? metadata, V1PodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        bool restricted = level == "restricted";
        IDictionary<string, string> annotations = metadata?.Annotations ?? new Dictionary<string, string>();
        List<V1Container> containers = [.. (spec.InitContainers ?? []).Concat(spec.Containers ?? []).Where(c => c is not null)];
        var checks = new List<Func<(string, string)?>>
        {
            () => AppArmor(annotations, spec, containers),
        };
        if (!restricted)
        {
            checks.Add(() => CapabilitiesBaseline(containers));
        }

        checks.Add(() => HostNamespaces(spec));
        if (!restricted)
        {
            checks.Add(() => HostPathVolumes(spec));
        }

        checks.Add(() => HostPorts(containers));
        checks.Add(() => Privileged(containers));
        checks.Add(() => ProcMount(containers));
        checks.Add(() => SeLinux(spec, containers));
        if (!restricted)
        {
            checks.Add(() => SeccompBaseline(annotations, spec, containers));
        }

        checks.Add(() => Sysctls(spec));
        if (restricted)
        {
            checks.Add(() => AllowPrivilegeEscalation(containers));
            checks.Add(() => CapabilitiesRestricted(containers));
            checks.Add(() => RestrictedVolumes(spec));
            checks.Add(() => RunAsNonRoot(spec, containers));
            checks.Add(() => RunAsUser(spec, containers));
            checks.Add(() => SeccompRestricted(spec, containers));
        }

        return [.. checks.Select(c => c()).OfType<(string, string)>()];
    }

    private static (string, string)? AppArmor(IDictionary<string, string> annotations, V1PodSpec spec, List<V1Container> containers)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        if (spec.SecurityContext?.AppArmorProfile?.Type is { } podType && podType is not ("RuntimeDefault" or "Localhost"))
        {
            setters.Add("pod");
            values.Add(podType);
        }

        List<string> bad = [.. containers.Where(c => c.SecurityContext?.AppArmorProfile?.Type is { } t && t is not ("RuntimeDefault" or "Localhost")).Select(c => c.Name)];
        foreach (V1Container container in containers.Where(c => c.SecurityContext?.AppArmorProfile?.Type is { } t && t is not ("RuntimeDefault" or "Localhost")))
        {
            values.Add(container.SecurityContext.AppArmorProfile.Type);
        }

        if (bad.Count > 0)
        {
            setters.Add(Containers(bad));
        }

        List<string> list = [.. values];
        List<string> badAnnotations = [.. annotations
            .Where(a => a.Key.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal)
                && !(a.Value.Length == 0 || a.Value == "runtime/default" || a.Value.StartsWith("localhost/", StringComparison.Ordinal)))
            .Select(a => $"{a.Key}=\"{a.Value}\"")
            .Order(StringComparer.Ordinal)];
        if (badAnnotations.Count > 0)
        {
            list.AddRange(badAnnotations);
            setters.Add(Plural("annotation", "annotations", badAnnotations.Count));
        }

        return setters.Count == 0
            ? null
            : (Plural("forbidden AppArmor profile", "forbidden AppArmor profiles", list.Count), $"{string.Join(" and ", setters)} must not set AppArmor profile type to {JoinQuote(list)}");
    }

    private static (string, string)? CapabilitiesBaseline(List<V1Container> containers)
    {
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (V1Container container in containers)
        {
            List<string> extra = [.. (container.SecurityContext?.Capabilities?.Add ?? []).Where(c => !s_baselineCapabilities.Contains(c))];
            if (extra.Count > 0)
            {
                bad.Add(container.Name);
                forbidden.UnionWith(extra);
            }
        }

        return bad.Count == 0 ? null : ("non-default capabilities", $"{Containers(bad)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
    }

    private static (string, string)? HostNamespaces(V1PodSpec spec)
    {
        var used = new List<string>();
        if (spec.HostNetwork == true)
        {
            used.Add("hostNetwork=true");
        }

        if (spec.HostPID == true)
        {
            used.Add("hostPID=true");
        }

        if (spec.HostIPC == true)
        {
            used.Add("hostIPC=true");
        }

        return used.Count == 0 ? null : ("host namespaces", string.Join(", ", used));
    }

    private static (string, string)? HostPathVolumes(V1PodSpec spec)
    {
        List<string> volumes = [.. (spec.Volumes ?? []).Where(v => v?.HostPath is not null).Select(v => v.Name)];
        return volumes.Count == 0 ? null : ("hostPath volumes", $"{Plural("volume", "volumes", volumes.Count)} {JoinQuote(volumes)}");
    }

    private static (string, string)? HostPorts(List<V1Container> containers)
    {
        var ports = new SortedSet<string>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (V1Container container in containers)
        {
            List<string> used = [.. (container.Ports ?? []).Where(p => p?.HostPort is > 0 or < 0).Select(p => p.HostPort!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))];
            if (used.Count > 0)
            {
                bad.Add(container.Name);
                ports.UnionWith(used);
            }
        }

        return bad.Count == 0
            ? null
            : ("hostPort", $"{Containers(bad)} {Plural("uses", "use", bad.Count)} {Plural("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}");
    }

    private static (string, string)? Privileged(List<V1Container> containers)
    {
        List<string> bad = [.. containers.Where(c => c.SecurityContext?.Privileged == true).Select(c => c.Name)];
        return bad.Count == 0 ? null : ("privileged", $"{Containers(bad)} must not set securityContext.privileged=true");
    }

    private static (string, string)? ProcMount(List<V1Container> containers)
    {
        List<V1Container> bad = [.. containers.Where(c => c.SecurityContext?.ProcMount is { } m && m != "Default")];
        return bad.Count == 0
            ? null
            : ("procMount", $"{Containers(bad.Select(c => c.Name))} must not set securityContext.procMount to {JoinQuote(new SortedSet<string>(bad.Select(c => c.SecurityContext.ProcMount), StringComparer.Ordinal))}");
    }

    private static (string, string)? SeLinux(V1PodSpec spec, List<V1Container> containers)
    {
        var types = new SortedSet<string>(StringComparer.Ordinal);
        bool user = false;
        bool role = false;
        bool Valid(V1SELinuxOptions options)
        {
            bool valid = true;
            if (!s_seLinuxTypes.Contains(options.Type ?? string.Empty))
            {
                valid = false;
                types.Add(options.Type ?? string.Empty);
            }

            if (!string.IsNullOrEmpty(options.User))
            {
                valid = false;
                user = true;
            }

            if (!string.IsNullOrEmpty(options.Role))
            {
                valid = false;
                role = true;
            }

            return valid;
        }

        var setters = new List<string>();
        if (spec.SecurityContext?.SeLinuxOptions is { } podOptions && !Valid(podOptions))
        {
            setters.Add("pod");
        }

        List<string> bad = [.. containers.Where(c => c.SecurityContext?.SeLinuxOptions is { } o && !Valid(o)).Select(c => c.Name)];
        if (bad.Count > 0)
        {
            setters.Add(Containers(bad));
        }

        if (setters.Count == 0)
        {
            return null;
        }

        var data = new List<string>();
        if (types.Count > 0)
        {
            data.Add($"{Plural("type", "types", types.Count)} {JoinQuote(types)}");
        }

        if (user)
        {
            data.Add("user may not be set");
        }

        if (role)
        {
            data.Add("role may not be set");
        }

        return ("seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", data)}");
    }

    private static (string, string)? SeccompBaseline(IDictionary<string, string> annotations, V1PodSpec spec, List<V1Container> containers)
    {
        var setters = new List<string>();
        var values = new SortedSet<string>(StringComparer.Ordinal);
        if (spec.SecurityContext?.SeccompProfile is { } podProfile && !ValidSeccomp(podProfile.Type))
        {
            setters.Add("pod");
            values.Add(podProfile.Type ?? string.Empty);
        }

        List<V1Container> bad = [.. containers.Where(c => c.SecurityContext?.SeccompProfile is { } p && !ValidSeccomp(p.Type))];
        if (bad.Count > 0)
        {
            setters.Add(Containers(bad.Select(c => c.Name)));
            values.UnionWith(bad.Select(c => c.SecurityContext.SeccompProfile.Type ?? string.Empty));
        }

        if (setters.Count > 0)
        {
            return ("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(values)}");
        }

        // The alpha annotations, still refused when they ask for no confinement.
        var forbidden = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string key in containers.Select(c => "container.seccomp.security.alpha.kubernetes.io/" + c.Name).Prepend("seccomp.security.alpha.kubernetes.io/pod"))
        {
            if (annotations.TryGetValue(key, out string? value) && !(value is "runtime/default" or "docker/default" || value.StartsWith("localhost/", StringComparison.Ordinal)))
            {
                forbidden.Add($"{key}=\"{value}\"");
            }
        }

        return forbidden.Count == 0 ? null : ("seccompProfile", $"forbidden {Plural("annotation", "annotations", forbidden.Count)} {string.Join(", ", forbidden)}");
    }

    private static (string, string)? Sysctls(V1PodSpec spec)
    {
        List<string> bad = [.. (spec.SecurityContext?.Sysctls ?? []).Where(s => s is not null && !s_safeSysctls.Contains(s.Name)).Select(s => s.Name)];
        return bad.Count == 0 ? null : ("forbidden sysctls", string.Join(", ", bad));
    }

    private static bool ValidSeccomp(string? type) => type is "RuntimeDefault" or "Localhost";

    private static string Containers(IEnumerable<string> names)
    {
        List<string> list = [.. names];
        return $"{Plural("container", "containers", list.Count)} {JoinQuote(list)}";
    }

    private static string Plural(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static string JoinQuote(IEnumerable<string> items)
    {
        List<string> list = [.. items];
        return list.Count == 0 ? string.Empty : "\"" + string.Join("\", \"", list) + "\"";
    }
}
