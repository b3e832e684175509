using k8s.Models;

namespace Skiff.ApiServer.Registry.Strategies;

/// <summary>The strategies of the workload kinds, with upstream's per-kind defaults.</summary>
internal static class WorkloadDefaults
{
    public static IEnumerable<KeyValuePair<string, ResourceStrategy>> Strategies()
    {
        yield return new("apps/Deployment", new WorkloadStrategy(
            item =>
            {
                V1DeploymentSpec spec = ((V1Deployment)item).Spec ??= new V1DeploymentSpec();
                spec.Replicas ??= 1;
                spec.Strategy ??= new V1DeploymentStrategy();
                spec.Strategy.Type ??= "RollingUpdate";
                if (spec.Strategy.Type == "RollingUpdate")
                {
                    spec.Strategy.RollingUpdate ??= new V1RollingUpdateDeployment();
                    spec.Strategy.RollingUpdate.MaxSurge ??= "25%";
                    spec.Strategy.RollingUpdate.MaxUnavailable ??= "25%";
                }

                spec.RevisionHistoryLimit ??= 10;
                spec.ProgressDeadlineSeconds ??= 600;
            },
            item => (((V1Deployment)item).Spec?.Selector, ((V1Deployment)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("apps/ReplicaSet", new WorkloadStrategy(
            item => (((V1ReplicaSet)item).Spec ??= new V1ReplicaSetSpec()).Replicas ??= 1,
            item => (((V1ReplicaSet)item).Spec?.Selector, ((V1ReplicaSet)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("apps/StatefulSet", new WorkloadStrategy(
            item =>
            {
                V1StatefulSetSpec spec = ((V1StatefulSet)item).Spec ??= new V1StatefulSetSpec();
                spec.Replicas ??= 1;
                spec.PodManagementPolicy ??= "OrderedReady";
                spec.UpdateStrategy ??= new V1StatefulSetUpdateStrategy();
                spec.UpdateStrategy.Type ??= "RollingUpdate";
                if (spec.UpdateStrategy.Type == "RollingUpdate")
                {
                    spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateStatefulSetStrategy();
                    spec.UpdateStrategy.RollingUpdate.Partition ??= 0;
                }

                spec.RevisionHistoryLimit ??= 10;
                spec.PersistentVolumeClaimRetentionPolicy ??= new V1StatefulSetPersistentVolumeClaimRetentionPolicy { WhenDeleted = "Retain", WhenScaled = "Retain" };
            },
            item => (((V1StatefulSet)item).Spec?.Selector, ((V1StatefulSet)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("apps/DaemonSet", new WorkloadStrategy(
            item =>
            {
                V1DaemonSetSpec spec = ((V1DaemonSet)item).Spec ??= new V1DaemonSetSpec();
                spec.UpdateStrategy ??= new V1DaemonSetUpdateStrategy();
                spec.UpdateStrategy.Type ??= "RollingUpdate";
                if (spec.UpdateStrategy.Type == "RollingUpdate")
                {
                    spec.UpdateStrategy.RollingUpdate ??= new V1RollingUpdateDaemonSet();
                    spec.UpdateStrategy.RollingUpdate.MaxUnavailable ??= 1;
                    spec.UpdateStrategy.RollingUpdate.MaxSurge ??= 0;
                }

                spec.RevisionHistoryLimit ??= 10;
            },
            item => (((V1DaemonSet)item).Spec?.Selector, ((V1DaemonSet)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("batch/Job", new WorkloadStrategy(
            item => JobDefaults((V1Job)item),
            item => (((V1Job)item).Spec?.Selector, ((V1Job)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("batch/CronJob", new WorkloadStrategy(
            item =>
            {
                V1CronJobSpec spec = ((V1CronJob)item).Spec ??= new V1CronJobSpec();
                spec.ConcurrencyPolicy ??= "Allow";
                spec.Suspend ??= false;
                spec.SuccessfulJobsHistoryLimit ??= 3;
                spec.FailedJobsHistoryLimit ??= 1;
                V1JobSpec job = (spec.JobTemplate ??= new V1JobTemplateSpec()).Spec ??= new V1JobSpec();
                job.BackoffLimit ??= 6;
                job.CompletionMode ??= "NonIndexed";
                job.Suspend ??= false;
                job.PodReplacementPolicy ??= "TerminatingOrFailed";
            },
            item => (null, ((V1CronJob)item).Spec?.JobTemplate?.Spec?.Template, "spec.jobTemplate.spec"),
            selectorRequired: false));
        yield return new("/ReplicationController", new WorkloadStrategy(
            item =>
            {
                V1ReplicationControllerSpec spec = ((V1ReplicationController)item).Spec ??= new V1ReplicationControllerSpec();
                spec.Replicas ??= 1;
                if (spec.Selector is null or { Count: 0 } && spec.Template?.Metadata?.Labels is { Count: > 0 } labels)
                {
                    spec.Selector = new Dictionary<string, string>(labels);
                }
            },
            item => (((V1ReplicationController)item).Spec?.Selector is { } s ? new V1LabelSelector { MatchLabels = s } : null, ((V1ReplicationController)item).Spec?.Template, "spec"),
            selectorRequired: true));
        yield return new("/PodTemplate", new WorkloadStrategy(
            _ => { },
            item => (null, ((V1PodTemplate)item).Template, string.Empty),
            selectorRequired: false));
    }

    private static void JobDefaults(V1Job job)
    {
        V1JobSpec spec = job.Spec ??= new V1JobSpec();
        if (spec.Completions is null && spec.Parallelism is null)
        {
            spec.Completions = 1;
        }

        spec.Parallelism ??= 1;
        spec.BackoffLimit ??= 6;
        spec.CompletionMode ??= "NonIndexed";
        spec.Suspend ??= false;
        spec.PodReplacementPolicy ??= "TerminatingOrFailed";
        if (spec.ManualSelector != true && spec.Selector is null && job.Metadata?.Uid is { } uid)
        {
            // Upstream's generated selector: the job's uid, labelled onto its template too.
            spec.Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["batch.kubernetes.io/controller-uid"] = uid } };
            V1ObjectMeta template = (spec.Template ??= new V1PodTemplateSpec()).Metadata ??= new V1ObjectMeta();
            template.Labels ??= new Dictionary<string, string>();
            template.Labels["batch.kubernetes.io/controller-uid"] = uid;
            template.Labels["batch.kubernetes.io/job-name"] = job.Metadata.Name;
            template.Labels["controller-uid"] = uid;
            template.Labels["job-name"] = job.Metadata.Name;
        }
    }
}
