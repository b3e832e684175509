using k8s.Models;

namespace Skiff.ApiServer.Admission;

/// <summary>
/// Upstream's DefaultTolerationSeconds plugin: a pod that does not already tolerate the node.kubernetes.io/not-ready or
/// node.kubernetes.io/unreachable NoExecute taint gets a toleration of it for 300 seconds, so it rides out a short node
/// outage before the node lifecycle controller evicts it. A toleration with an empty key (all taints) or an empty effect
/// (all effects) counts as tolerating, as upstream counts it.
/// </summary>
internal sealed class DefaultTolerationSecondsAdmission : IMutatingAdmissionPlugin
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";

    /// <summary>kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds.</summary>
    public const long DefaultSeconds = 300;

    public string Name => "DefaultTolerationSeconds";

    public Task AdmitAsync(AdmissionAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        if (attributes is not { Operation: AdmissionOperation.Create or AdmissionOperation.Update, Subresource: null, Object: V1Pod pod })
        {
            return Task.CompletedTask;
        }

        V1PodSpec spec = pod.Spec ??= new V1PodSpec();
        foreach (string taint in new[] { NotReadyTaint, UnreachableTaint })
        {
            if (!(spec.Tolerations ?? []).Any(t => t is not null && (string.IsNullOrEmpty(t.Key) || t.Key == taint) && (string.IsNullOrEmpty(t.Effect) || t.Effect == "NoExecute")))
            {
                spec.Tolerations ??= [];
                spec.Tolerations.Add(new V1Toleration { Key = taint, OperatorProperty = "Exists", Effect = "NoExecute", TolerationSeconds = DefaultSeconds });
            }
        }

        return Task.CompletedTask;
    }
}
