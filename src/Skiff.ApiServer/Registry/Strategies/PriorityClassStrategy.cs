using k8s;
using k8s.Models;
using Skiff.ApiServer.Admission;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>
/// PriorityClasses (scheduling.k8s.io/v1): preemptionPolicy defaults to PreemptLowerPriority; user classes stay at or below
/// 1000000000 and the <c>system-</c> names belong to the system classes; value and preemptionPolicy never change; one
/// globalDefault at most; the system classes cannot be deleted.
/// </summary>
internal sealed class PriorityClassStrategy : ResourceStrategy
{
    private static readonly string[] s_preemptionPolicies = [SystemPriorityClasses.PreemptLowerPriority, SystemPriorityClasses.PreemptNever];

    public override void PrepareForCreate(IKubernetesObject<V1ObjectMeta> item, ApiContext context) => Defaults((V1PriorityClass)item);

    public override void PrepareForUpdate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta> old, ApiContext context) =>
        Defaults((V1PriorityClass)item);

    public override void Validate(IKubernetesObject<V1ObjectMeta> item, IKubernetesObject<V1ObjectMeta>? old, ValidationErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var priorityClass = (V1PriorityClass)item;
        if (old is V1PriorityClass previous)
        {
            // Pods copied these at admission; changing them would leave running pods disagreeing with their class.
            if (priorityClass.Value != previous.Value)
            {
                errors.Forbidden("value", "may not be changed in an update.");
            }

            if (priorityClass.PreemptionPolicy != previous.PreemptionPolicy)
            {
                errors.Immutable("preemptionPolicy", priorityClass.PreemptionPolicy);
            }

            return;
        }

        string name = priorityClass.Metadata?.Name ?? string.Empty;
        if (name.StartsWith(SystemPriorityClasses.Prefix, StringComparison.Ordinal))
        {
            if (SystemPriorityClasses.NotKnownProblem(name, priorityClass.Value ?? 0, priorityClass.GlobalDefault ?? false) is { } problem)
            {
                errors.Forbidden("metadata.name", $"priority class names with '{SystemPriorityClasses.Prefix}' prefix are reserved for system use only. error: {problem}");
            }
        }
        else if (priorityClass.Value > SystemPriorityClasses.HighestUserDefinable)
        {
            errors.Forbidden("value", $"maximum allowed value of a user defined priority is {SystemPriorityClasses.HighestUserDefinable}");
        }

        switch (priorityClass.PreemptionPolicy)
        {
            case null or SystemPriorityClasses.PreemptLowerPriority or SystemPriorityClasses.PreemptNever:
                break;
            case "":
                errors.Required("preemptionPolicy");
                break;
            default:
                errors.NotSupported("preemptionPolicy", priorityClass.PreemptionPolicy, s_preemptionPolicies);
                break;
        }
    }

    public override void ValidateDelete(string name)
    {
        if (SystemPriorityClasses.IsSystemName(name))
        {
            throw new StatusException(
                403,
                "Forbidden",
                $"priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: this is a system priority class and cannot be deleted",
                new V1StatusDetails { Name = name, Group = "scheduling.k8s.io", Kind = "priorityclasses" });
        }
    }

    private static void Defaults(V1PriorityClass priorityClass)
    {
        // Upstream's value is a plain int32: a class sent without one is stored, and shown, with 0.
        priorityClass.Value ??= 0;
        priorityClass.PreemptionPolicy ??= SystemPriorityClasses.PreemptLowerPriority;
    }
}
