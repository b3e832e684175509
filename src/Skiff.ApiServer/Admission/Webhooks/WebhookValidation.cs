using k8s.Models;
using Skiff.ApiServer.Registry;

namespace Skiff.ApiServer.Admission.Webhooks;

/// <summary>
/// Upstream's admissionregistration.k8s.io/v1 validation of webhook configurations, with its field paths and texts. One
/// deliberate difference: admissionReviewVersions must include v1, the only AdmissionReview version Skiff sends.
/// </summary>
internal static class WebhookValidation
{
    private static readonly string[] s_operations = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
    private static readonly string[] s_scopes = ["*", "Cluster", "Namespaced"];
    private static readonly string[] s_failurePolicies = [WebhookDefinition.Fail, WebhookDefinition.Ignore];
    private static readonly string[] s_matchPolicies = [WebhookDefinition.Equivalent, WebhookDefinition.Exact];
    private static readonly string[] s_sideEffects = ["None", "NoneOnDryRun"];
    private static readonly string[] s_reinvocationPolicies = [WebhookDefinition.IfNeeded, WebhookDefinition.Never];
    private static readonly string[] s_reviewVersions = ["v1"];

    public static void Validate(IEnumerable<WebhookDefinition> webhooks, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(webhooks);
        ArgumentNullException.ThrowIfNull(errors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (WebhookDefinition hook in webhooks)
        {
            string path = $"webhooks[{i++}]";
            if (!names.Add(hook.Name))
            {
                errors.Duplicate($"{path}.name", hook.Name);
            }

            ValidateWebhook(hook, path, errors);
            ValidateReviewVersions(hook.AdmissionReviewVersions, $"{path}.admissionReviewVersions", errors);
        }
    }

    private static void ValidateWebhook(WebhookDefinition hook, string path, ValidationErrors errors)
    {
        FullyQualifiedName(hook.Name, $"{path}.name", errors);
        int r = 0;
        foreach (V1RuleWithOperations rule in hook.Rules ?? [])
        {
            ValidateRule(rule, $"{path}.rules[{r++}]", errors);
        }

        OneOf(hook.FailurePolicy, s_failurePolicies, $"{path}.failurePolicy", errors);
        OneOf(hook.MatchPolicy, s_matchPolicies, $"{path}.matchPolicy", errors);
        ValidateSelector(hook.NamespaceSelector, $"{path}.namespaceSelector", errors);
        ValidateSelector(hook.ObjectSelector, $"{path}.objectSelector", errors);
        if (hook.SideEffects is null)
        {
            errors.Required($"{path}.sideEffects", "must specify one of " + string.Join(", ", s_sideEffects));
        }
        else
        {
            OneOf(hook.SideEffects, s_sideEffects, $"{path}.sideEffects", errors);
        }

        if (hook.TimeoutSeconds is < 1 or > 30)
        {
            errors.Invalid($"{path}.timeoutSeconds", hook.TimeoutSeconds, "the timeout value must be between 1 and 30 seconds");
        }

        ValidateClientConfig(hook.ClientConfig, $"{path}.clientConfig", errors);
        OneOf(hook.ReinvocationPolicy, s_reinvocationPolicies, $"{path}.reinvocationPolicy", errors);
        if (hook.MatchConditionCount > 0)
        {
            // CEL is not available in Skiff; refusing is better than silently calling the webhook for every request.
            errors.Forbidden($"{path}.matchConditions", "matchConditions (CEL) are not supported by this server");
        }
    }

    private static void FullyQualifiedName(string name, string field, ValidationErrors errors)
    {
        if (name.Length == 0)
        {
            errors.Required(field);
        }
        else if (Names.SubdomainProblem(name) is { } problem)
        {
            errors.Invalid(field, name, problem);
        }
        else if (name.Split('.').Length < 3)
        {
            errors.Invalid(field, name, "should be a domain with at least three segments separated by dots");
        }
    }

    private static void ValidateRule(V1RuleWithOperations rule, string path, ValidationErrors errors)
    {
        IList<string> operations = rule.Operations ?? [];
        if (operations.Count == 0)
        {
            errors.Required($"{path}.operations");
        }

        if (operations.Count > 1 && operations.Contains("*"))
        {
            errors.Invalid($"{path}.operations", new GoStrings(operations), "if '*' is present, must not specify other operations");
        }

        for (int i = 0; i < operations.Count; i++)
        {
            if (!s_operations.Contains(operations[i]))
            {
                errors.NotSupported($"{path}.operations[{i}]", operations[i], s_operations);
            }
        }

        IList<string> groups = rule.ApiGroups ?? [];
        if (groups.Count == 0)
        {
            errors.Required($"{path}.apiGroups");
        }

        if (groups.Count > 1 && groups.Contains("*"))
        {
            errors.Invalid($"{path}.apiGroups", new GoStrings(groups), "if '*' is present, must not specify other API groups");
        }

        IList<string> versions = rule.ApiVersions ?? [];
        if (versions.Count == 0)
        {
            errors.Required($"{path}.apiVersions");
        }

        if (versions.Count > 1 && versions.Contains("*"))
        {
            errors.Invalid($"{path}.apiVersions", new GoStrings(versions), "if '*' is present, must not specify other API versions");
        }

        for (int i = 0; i < versions.Count; i++)
        {
            if (versions[i].Length == 0)
            {
                errors.Required($"{path}.apiVersions[{i}]");
            }
        }

        ValidateResources(rule.Resources ?? [], $"{path}.resources", errors);
        OneOf(rule.Scope, s_scopes, $"{path}.scope", errors);
    }

    private static void ValidateResources(IList<string> resources, string path, ValidationErrors errors)
    {
        if (resources.Count == 0)
        {
            errors.Required(path);
        }

        var wildcardSubresourceOf = new HashSet<string>(StringComparer.Ordinal);
        var wildcardResourceFor = new HashSet<string>(StringComparer.Ordinal);
        bool doubleWildcard = false;
        bool singleWildcard = false;
        bool withoutSubresource = false;
        for (int i = 0; i < resources.Count; i++)
        {
            string entry = resources[i];
            if (entry.Length == 0)
            {
                errors.Required($"{path}[{i}]");
                continue;
            }

            doubleWildcard |= entry == "*/*";
            singleWildcard |= entry == "*";
            int slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                withoutSubresource = entry != "*";
                continue;
            }

            string resource = entry[..slash];
            string subresource = entry[(slash + 1)..];
            if (wildcardSubresourceOf.Contains(resource))
            {
                errors.Invalid($"{path}[{i}]", entry, $"if '{resource}/*' is present, must not specify {entry}");
            }

            if (wildcardResourceFor.Contains(subresource))
            {
                errors.Invalid($"{path}[{i}]", entry, $"if '*/{subresource}' is present, must not specify {entry}");
            }

            if (subresource == "*")
            {
                wildcardSubresourceOf.Add(resource);
            }

            if (resource == "*")
            {
                wildcardResourceFor.Add(subresource);
            }
        }

        if (resources.Count > 1 && doubleWildcard)
        {
            errors.Invalid(path, new GoStrings(resources), "if '*/*' is present, must not specify other resources");
        }

        if (singleWildcard && withoutSubresource)
        {
            errors.Invalid(path, new GoStrings(resources), "if '*' is present, must not specify other resources without subresources");
        }
    }

    private static void ValidateSelector(V1LabelSelector? selector, string path, ValidationErrors errors)
    {
        int i = 0;
        foreach (V1LabelSelectorRequirement requirement in selector?.MatchExpressions ?? [])
        {
            string field = $"{path}.matchExpressions[{i++}]";
            switch (requirement.OperatorProperty)
            {
                case "In" or "NotIn" when (requirement.Values?.Count ?? 0) == 0:
                    errors.Required($"{field}.values", "must be specified when `operator` is 'In' or 'NotIn'");
                    break;
                case "Exists" or "DoesNotExist" when (requirement.Values?.Count ?? 0) > 0:
                    errors.Forbidden($"{field}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    break;
                case "In" or "NotIn" or "Exists" or "DoesNotExist":
                    break;
                default:
                    errors.Invalid($"{field}.operator", requirement.OperatorProperty, "not a valid selector operator");
                    break;
            }
        }
    }

    private static void ValidateClientConfig(Admissionregistrationv1WebhookClientConfig? config, string path, ValidationErrors errors)
    {
        if ((config?.Url is null) == (config?.Service is null))
        {
            errors.Required(path, "exactly one of url or service is required");
            return;
        }

        if (config!.Url is { } url)
        {
            ValidateUrl(url, $"{path}.url", errors);
            return;
        }

        Admissionregistrationv1ServiceReference service = config.Service!;
        if (string.IsNullOrEmpty(service.Name))
        {
            errors.Required($"{path}.service.name", "service name is required");
        }

        if (string.IsNullOrEmpty(service.NamespaceProperty))
        {
            errors.Required($"{path}.service.namespace", "service namespace is required");
        }

        int port = service.Port ?? WebhookDefinition.DefaultServicePort;
        if (port is < 1 or > 65535)
        {
            errors.Invalid($"{path}.service.port", port, "port is not valid: must be between 1 and 65535, inclusive");
        }

        string? servicePath = service.Path;
        if (servicePath is null or "" or "/")
        {
            return;
        }

        if (servicePath == "//")
        {
            errors.Invalid($"{path}.service.path", servicePath, "segment[0] may not be empty");
        }
        else if (!servicePath.StartsWith('/'))
        {
            errors.Invalid($"{path}.service.path", servicePath, "must start with a '/'");
        }
    }

    private static void ValidateUrl(string url, string field, ValidationErrors errors)
    {
        const string Form = "; desired format: https://host[/path]";
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed))
        {
            errors.Required(field, "url must be a valid URL: parse \"" + url + "\": invalid URI" + Form);
            return;
        }

        if (parsed.Scheme != Uri.UriSchemeHttps)
        {
            errors.Invalid(field, parsed.Scheme, "'https' is the only allowed URL scheme" + Form);
        }

        if (parsed.Host.Length == 0)
        {
            errors.Invalid(field, parsed.Host, "host must be specified" + Form);
        }

        if (parsed.UserInfo.Length > 0)
        {
            errors.Invalid(field, parsed.UserInfo, "user information is not permitted in the URL");
        }

        if (parsed.Fragment.Length > 0)
        {
            errors.Invalid(field, parsed.Fragment.TrimStart('#'), "fragments are not permitted in the URL");
        }

        if (parsed.Query.Length > 0)
        {
            errors.Invalid(field, parsed.Query.TrimStart('?'), "query parameters are not permitted in the URL");
        }
    }

    private static void ValidateReviewVersions(IList<string>? versions, string path, ValidationErrors errors)
    {
        if (versions is null || versions.Count == 0)
        {
            errors.Required(path, "must specify one of " + string.Join(", ", s_reviewVersions));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < versions.Count; i++)
        {
            if (!seen.Add(versions[i]))
            {
                errors.Invalid($"{path}[{i}]", versions[i], "duplicate version");
            }
        }

        if (!versions.Any(s_reviewVersions.Contains))
        {
            errors.Invalid(path, new GoStrings(versions), "must include at least one of " + string.Join(", ", s_reviewVersions));
        }
    }

    private static void OneOf(string? value, string[] supported, string field, ValidationErrors errors)
    {
        if (value is not null && !supported.Contains(value))
        {
            errors.NotSupported(field, value, supported);
        }
    }

    /// <summary>A list shown as upstream's messages show a Go []string.</summary>
    private sealed record GoStrings(IEnumerable<string> Values)
    {
        public override string ToString() => "[]string{" + string.Join(", ", Values.Select(v => $"\"{v}\"")) + "}";
    }
}
