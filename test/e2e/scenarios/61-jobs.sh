# Jobs and CronJobs through the Job, TTL-after-finished and CronJob controllers. No agent runs, so the script plays the
# kubelet: it ends a Job's pods by writing phase Succeeded or Failed through pods/status.

# end_pods SELECTOR PHASE: every running pod the selector matches ends with PHASE.
end_pods() {
  for pod in $(kubectl get pods -l "$1" -o jsonpath='{range .items[?(@.status.phase!="Succeeded")]}{.metadata.name}{" "}{end}' 2>/dev/null); do
    kubectl patch pod "$pod" --subresource=status --type=merge -p "{\"status\":{\"phase\":\"$2\"}}" >/dev/null 2>&1
  done
}

pod_count() { kubectl get pods -l "$1" -o name | wc -l; }

# A single-pod Job runs to completion.
expect "create job" '^job.batch/once created$' -- kubectl create job once --image=busybox -- echo hi
eventually "job pod appears" 30 -- bash -c '[ "$(kubectl get pods -l job-name=once -o name | wc -l)" -eq 1 ]'
expect "job pod is labelled and held by the tracking finalizer" '^once .*batch.kubernetes.io/job-tracking' -- \
  kubectl get pods -l batch.kubernetes.io/job-name=once -o 'jsonpath={.items[0].metadata.labels.job-name} {.items[0].metadata.finalizers}'
expect "job is running" '^once +Running +0/1 ' -- kubectl get job once --no-headers
end_pods job-name=once Succeeded
expect "kubectl wait for complete" 'job.batch/once condition met' -- kubectl wait --for=condition=complete job/once --timeout=30s
expect "job shows complete" '^once +Complete +1/1 ' -- kubectl get job once --no-headers
expect "describe shows pod statuses" 'Pods Statuses: +0 Active \(0 Ready\) / 1 Succeeded / 0 Failed' -- kubectl describe job once
expect "describe shows the create event" 'SuccessfulCreate .*Created pod: once-' -- kubectl describe job once
expect "describe shows the completed event" 'Completed .*Job completed' -- kubectl describe job once
eventually "finalizer released once counted" 20 -- bash -c '[ -z "$(kubectl get pods -l job-name=once -o jsonpath={.items[0].metadata.finalizers})" ]'

# An Indexed Job with parallelism: at most two pods at once, each with its index, completed indexes recorded as ranges.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: indexed
spec:
  completions: 3
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
        command: ["sh", "-c", "echo $JOB_COMPLETION_INDEX"]
YAML
eventually "two indexed pods start" 30 -- bash -c '[ "$(kubectl get pods -l job-name=indexed -o name | wc -l)" -eq 2 ]'
expect "pods carry indexes 0 and 1" '^0 1$' -- kubectl get pods -l job-name=indexed --sort-by='{.metadata.annotations.batch\.kubernetes\.io/job-completion-index}' \
  -o 'jsonpath={.items[*].metadata.labels.batch\.kubernetes\.io/job-completion-index}'
end_pods job-name=indexed Succeeded
eventually "the last index starts" 30 -- bash -c '[ "$(kubectl get pods -l batch.kubernetes.io/job-completion-index=2,job-name=indexed -o name | wc -l)" -eq 1 ]'
end_pods job-name=indexed Succeeded
expect "indexed job completes" 'condition met' -- kubectl wait --for=condition=complete job/indexed --timeout=30s
expect "completed indexes as a range" '^0-2 3$' -- kubectl get job indexed -o 'jsonpath={.status.completedIndexes} {.status.succeeded}'

# A failure beyond backoffLimit fails the Job.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: doomed
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
YAML
eventually "doomed pod appears" 30 -- bash -c '[ "$(kubectl get pods -l job-name=doomed -o name | wc -l)" -eq 1 ]'
end_pods job-name=doomed Failed
expect "kubectl wait for failed" 'condition met' -- kubectl wait --for=condition=failed job/doomed --timeout=30s
expect "failed with BackoffLimitExceeded" 'BackoffLimitExceeded .*Job has reached the specified backoff limit' -- kubectl describe job doomed

# ttlSecondsAfterFinished removes a finished Job.
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata:
  name: brief
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox
YAML
eventually "ttl job pod appears" 30 -- bash -c '[ "$(kubectl get pods -l job-name=brief -o name | wc -l)" -eq 1 ]'
end_pods job-name=brief Succeeded
eventually "finished job is deleted after its ttl" 30 -- bash -c '! kubectl get job brief >/dev/null 2>&1'

# A CronJob is accepted and described; a Job made from it by hand runs like any other.
expect "create cronjob" '^cronjob.batch/tick created$' -- kubectl create cronjob tick --image=busybox --schedule='*/5 * * * *' -- echo hi
expect "get cronjob" '^tick +\*/5 \* \* \* \* +<none> +False +0 +<none>' -- kubectl get cronjob tick --no-headers
expect "describe cronjob" 'Schedule: +\*/5 \* \* \* \*' -- kubectl describe cronjob tick
expect "create job from cronjob" '^job.batch/manual created$' -- kubectl create job manual --from=cronjob/tick
expect "manual job is owned by the cronjob" '^CronJob tick$' -- kubectl get job manual -o 'jsonpath={.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name}'
eventually "manual job pod appears" 30 -- bash -c '[ "$(kubectl get pods -l job-name=manual -o name | wc -l)" -eq 1 ]'
end_pods job-name=manual Succeeded
expect "manual job completes" 'condition met' -- kubectl wait --for=condition=complete job/manual --timeout=30s
expect "suspend cronjob" 'patched' -- kubectl patch cronjob tick -p '{"spec":{"suspend":true}}'
expect "cronjob shows suspended" '^tick +\*/5 \* \* \* \* +<none> +True ' -- kubectl get cronjob tick --no-headers
