using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>The defaults upstream fills into pod specs (pods and every workload template), which users see in -o yaml.</summary>
internal static class PodDefaults
{
    public static void Apply(V1PodSpec? spec)
    {
        if (spec is null)
        {
            return;
        }

        spec.RestartPolicy ??= "Always";
        spec.DnsPolicy ??= "ClusterFirst";
        spec.SchedulerName ??= "default-scheduler";
        spec.TerminationGracePeriodSeconds ??= 30;
        spec.SecurityContext ??= new V1PodSecurityContext();
        spec.EnableServiceLinks ??= true;
        foreach (V1Container container in (spec.InitContainers ?? []).Concat(spec.Containers ?? []))
        {
            Container(container);
        }
    }

    public static void Container(V1Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        container.ImagePullPolicy ??= PullPolicyFor(container.Image);
        container.TerminationMessagePath ??= "/dev/termination-log";
        container.TerminationMessagePolicy ??= "File";
        foreach (V1ContainerPort port in container.Ports ?? [])
        {
            port.Protocol ??= "TCP";
        }

        // As the original description says: a limit with no request becomes the request.
        V1ResourceRequirements resources = container.Resources ??= new V1ResourceRequirements();
        if (resources.Limits is { Count: > 0 })
        {
            resources.Requests ??= new Dictionary<string, ResourceQuantity>();
            foreach ((string name, ResourceQuantity limit) in resources.Limits)
            {
                resources.Requests.TryAdd(name, limit);
            }
        }

        foreach (V1Probe? probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe })
        {
            if (probe is not null)
            {
                probe.TimeoutSeconds ??= 1;
                probe.PeriodSeconds ??= 10;
                probe.SuccessThreshold ??= 1;
                probe.FailureThreshold ??= 3;
                if (probe.HttpGet is { } http)
                {
                    http.Path ??= "/";
                    http.Scheme ??= "HTTP";
                }
            }
        }
    }

    /// <summary>Always for ":latest" or an untagged image, IfNotPresent otherwise (upstream's rule).</summary>
    public static string PullPolicyFor(string? image)
    {
        if (string.IsNullOrEmpty(image))
        {
            return "IfNotPresent";
        }

        string withoutDigest = image.Split('@')[0];
        int slash = withoutDigest.LastIndexOf('/');
        int colon = withoutDigest.LastIndexOf(':');
        string tag = colon > slash ? withoutDigest[(colon + 1)..] : string.Empty;
        return image.Contains('@', StringComparison.Ordinal) ? "IfNotPresent" : tag is "" or "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>The pod spec rules shared by pods and templates.</summary>
    public static void Validate(V1PodSpec? spec, string path, ValidationErrors errors)
    {
        if (spec is null)
        {
            errors.Required(path);
            return;
        }

        if (spec.Containers is null || spec.Containers.Count == 0)
        {
            errors.Required($"{path}.containers");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((V1Container container, int index, string list) in (spec.InitContainers ?? []).Select((c, i) => (c, i, "initContainers")).Concat((spec.Containers ?? []).Select((c, i) => (c, i, "containers"))))
        {
            string at = $"{path}.{list}[{index}]";
            if (string.IsNullOrEmpty(container.Name))
            {
                errors.Required($"{at}.name");
            }
            else if (Names.LabelProblem(container.Name) is { } problem)
            {
                errors.Invalid($"{at}.name", container.Name, problem);
            }
            else if (!names.Add(container.Name))
            {
                errors.Duplicate($"{at}.name", container.Name);
            }

            if (string.IsNullOrWhiteSpace(container.Image))
            {
                errors.Required($"{at}.image");
            }

            foreach ((V1ContainerPort port, int p) in (container.Ports ?? []).Select((port, p) => (port, p)))
            {
                if (port.ContainerPort is < 1 or > 65535)
                {
                    errors.Invalid($"{at}.ports[{p}].containerPort", port.ContainerPort, "must be between 1 and 65535, inclusive");
                }
            }

            if (container.ImagePullPolicy is not (null or "Always" or "IfNotPresent" or "Never"))
            {
                errors.NotSupported($"{at}.imagePullPolicy", container.ImagePullPolicy, ["Always", "IfNotPresent", "Never"]);
            }
        }

        if (spec.RestartPolicy is not (null or "Always" or "OnFailure" or "Never"))
        {
            errors.NotSupported($"{path}.restartPolicy", spec.RestartPolicy, ["Always", "OnFailure", "Never"]);
        }
    }
}
