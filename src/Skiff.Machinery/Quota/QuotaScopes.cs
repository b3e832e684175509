using k8s.Models;

namespace Skiff.Machinery.Quota;

/// <summary>
/// Quota scopes (spec.scopes and spec.scopeSelector): a scoped quota measures only the pods in every one of its scopes.
/// Terminating pods have spec.activeDeadlineSeconds; BestEffort pods request and limit no cpu or memory.
/// </summary>
public static class QuotaScopes
{
    public static bool IsScoped(V1ResourceQuota quota) =>
        quota.Spec?.Scopes is { Count: > 0 } || quota.Spec?.ScopeSelector?.MatchExpressions is { Count: > 0 };

    public static bool Matches(V1ResourceQuota quota, V1Pod pod)
    {
        foreach (string scope in quota.Spec?.Scopes ?? [])
        {
            if (!Matches(scope, "Exists", null, pod))
            {
                return false;
            }
        }

        foreach (V1ScopedResourceSelectorRequirement requirement in quota.Spec?.ScopeSelector?.MatchExpressions ?? [])
        {
            if (requirement is not null && !Matches(requirement.ScopeName, requirement.OperatorProperty, requirement.Values, pod))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsBestEffort(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? []).All(c =>
            !HasCpuOrMemory(c?.Resources?.Requests) && !HasCpuOrMemory(c?.Resources?.Limits));

    private static bool Matches(string? scope, string? op, IList<string>? values, V1Pod pod)
    {
        switch (scope)
        {
            case "Terminating":
                return pod.Spec?.ActiveDeadlineSeconds is >= 0;
            case "NotTerminating":
                return pod.Spec?.ActiveDeadlineSeconds is null;
            case "BestEffort":
                return IsBestEffort(pod);
            case "NotBestEffort":
                return !IsBestEffort(pod);
            case "PriorityClass":
                string priorityClass = pod.Spec?.PriorityClassName ?? string.Empty;
                return op switch
                {
                    "In" => values?.Contains(priorityClass) == true,
                    "NotIn" => values?.Contains(priorityClass) != true,
                    "DoesNotExist" => priorityClass.Length == 0,
                    _ => priorityClass.Length > 0,
                };
            default:
                // A scope this controller does not know (CrossNamespacePodAffinity) selects nothing rather than everything.
                return false;
        }
    }

    private static bool HasCpuOrMemory(IDictionary<string, ResourceQuantity>? values) =>
        values is not null && (values.ContainsKey("cpu") || values.ContainsKey("memory"));
}
