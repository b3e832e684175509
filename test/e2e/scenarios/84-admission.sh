# The built-in admission plugins as kubectl users meet them: NamespaceLifecycle, ResourceQuota, LimitRanger, PodSecurity
# and DefaultTolerationSeconds, with upstream's refusals verbatim. (Priority has its own scenario, 65-priority.)

pod_yaml() { # NAMESPACE NAME [CONTAINER-LINES...]: a one-container pod with extra lines under the container
  local ns=$1 name=$2
  shift 2
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n' "$name" "$ns"
  for line in "$@"; do printf '    %s\n' "$line"; done
}

# NamespaceLifecycle
expect_fail "a pod in a missing namespace is refused" '^Error from server \(NotFound\): namespaces "nowhere" not found$' -- kubectl -n nowhere run x --image=nginx:1.27
expect_fail "the default namespace may not be deleted" '^Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted$' -- kubectl delete namespace default
expect_fail "nor kube-system" 'namespaces "kube-system" is forbidden: this namespace may not be deleted' -- kubectl delete namespace kube-system
expect_eq "default is still Active" 'Active' -- kubectl get namespace default -o 'jsonpath={.status.phase}'

# ResourceQuota: the controller fills status, admission charges it, the pod over the quota is refused.
expect "create a namespace for quotas" '^namespace/t-quota created$' -- kubectl create namespace t-quota
expect "create a quota of two pods" '^resourcequota/q created$' -- kubectl -n t-quota create quota q --hard=pods=2,count/configmaps=2
eventually "the quota controller counts usage" 20 -- bash -c '[[ "$(kubectl -n t-quota get quota q -o "jsonpath={.status.used.pods}")" == 0 ]]'
expect "first pod" '^pod/a created$' -- kubectl -n t-quota run a --image=nginx:1.27
expect "second pod" '^pod/b created$' -- kubectl -n t-quota run b --image=nginx:1.27
expect_eq "admission charged both pods" '2' -- kubectl -n t-quota get quota q -o 'jsonpath={.status.used.pods}'
expect_fail "the pod over the quota is refused" '^Error from server \(Forbidden\): pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2$' -- kubectl -n t-quota run c --image=nginx:1.27
expect_fail "and was not stored" 'pods "c" not found' -- kubectl -n t-quota get pod c
# kube-root-ca.crt, which every namespace gets, counts too.
eventually "the namespace's kube-root-ca.crt is counted" 20 -- bash -c '[[ "$(kubectl -n t-quota get quota q -o "jsonpath={.status.used.count/configmaps}")" == 1 ]]'
expect "a configmap fits" 'configmap/one created' -- kubectl -n t-quota create configmap one --from-literal=a=1
expect_fail "a second one does not" 'configmaps "two" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2' -- kubectl -n t-quota create configmap two --from-literal=a=1
expect "describe shows the usage" 'pods +2 +2' -- kubectl -n t-quota describe quota q
expect "a cpu quota" 'resourcequota/compute created' -- kubectl -n t-quota create quota compute --hard=requests.cpu=1
eventually "the controller counts it" 20 -- bash -c '[[ -n "$(kubectl -n t-quota get quota compute -o "jsonpath={.status.used.requests\.cpu}")" ]]'
expect "release a pod slot" 'pod "a" deleted' -- kubectl -n t-quota delete pod a
eventually "the controller releases the deleted pod" 20 -- bash -c '[[ "$(kubectl -n t-quota get quota q -o "jsonpath={.status.used.pods}")" == 1 ]]'
expect_fail "a pod without a cpu request is refused by the cpu quota" 'pods "d" is forbidden: failed quota: compute: must specify requests.cpu for: d$' -- kubectl -n t-quota run d --image=nginx:1.27

# LimitRanger: defaults appear in the pod, a limit above max is refused.
expect "create a namespace for limits" '^namespace/t-limits created$' -- kubectl create namespace t-limits
cat >limits.yaml <<'YAML'
apiVersion: v1
kind: LimitRange
metadata:
  name: limits
  namespace: t-limits
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {memory: 1Gi}
YAML
expect "create the LimitRange" 'limitrange/limits created' -- kubectl apply -f limits.yaml
expect "a pod without resources" '^pod/web created$' -- kubectl -n t-limits run web --image=nginx:1.27
expect_eq "gets the default requests and limits" '100m 128Mi 500m 256Mi' -- kubectl -n t-limits get pod web -o 'jsonpath={.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.requests.memory} {.spec.containers[0].resources.limits.cpu} {.spec.containers[0].resources.limits.memory}'
expect_eq "and says so in its annotation" 'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web' -- kubectl -n t-limits get pod web -o 'jsonpath={.metadata.annotations.kubernetes\.io/limit-ranger}'
pod_yaml t-limits big 'resources: {limits: {memory: 2Gi}}' >big.yaml
expect_fail "a limit above max is refused" '^Error from server \(Forbidden\).*pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi$' -- kubectl apply -f big.yaml

# PodSecurity: enforce refuses, warn prints a Warning and admits.
expect "create a restricted namespace" '^namespace/t-restricted created$' -- kubectl create namespace t-restricted
expect "label it enforce=restricted" 'namespace/t-restricted labeled' -- kubectl label namespace t-restricted pod-security.kubernetes.io/enforce=restricted
pod_yaml t-restricted priv 'securityContext: {privileged: true}' >priv.yaml
expect_fail "a privileged pod is refused" '^Error from server \(Forbidden\).*pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "app" must not set securityContext.privileged=true\), allowPrivilegeEscalation != false \(container "app" must set securityContext.allowPrivilegeEscalation=false\), unrestricted capabilities \(container "app" must set securityContext.capabilities.drop=\["ALL"\]\), runAsNonRoot != true \(pod or container "app" must set securityContext.runAsNonRoot=true\), seccompProfile \(pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"\)$' -- kubectl apply -f priv.yaml
cat >good.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: t-restricted}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: nginx:1.27
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
YAML
expect "a restricted pod is admitted" '^pod/good created$' -- kubectl apply -f good.yaml
expect "create a warn namespace" '^namespace/t-warn created$' -- kubectl create namespace t-warn
expect "label it warn=baseline" 'labeled' -- kubectl label namespace t-warn pod-security.kubernetes.io/warn=baseline
pod_yaml t-warn priv 'securityContext: {privileged: true}' >warn.yaml
expect "a privileged pod is admitted with a Warning" '^Warning: would violate PodSecurity "baseline:latest": privileged \(container "app" must not set securityContext.privileged=true\)$' -- kubectl apply -f warn.yaml
expect_eq "and exists" 'priv' -- kubectl -n t-warn get pod priv -o 'jsonpath={.metadata.name}'
kubectl label namespace t-warn pod-security.kubernetes.io/enforce=baseline >label.out 2>&1
expect "enforcing baseline warns about existing pods" '^Warning: existing pods in namespace "t-warn" violate the new PodSecurity enforce level "baseline:latest"$' -- cat label.out
expect "naming the pod and its violations" '^Warning: priv: privileged$' -- cat label.out
expect "and labels the namespace" '^namespace/t-warn labeled$' -- cat label.out
expect_eq "the pod itself stays" 'priv' -- kubectl -n t-warn get pod priv -o 'jsonpath={.metadata.name}'

# DefaultTolerationSeconds
expect_eq "pods tolerate not-ready and unreachable for 300 s" 'node.kubernetes.io/not-ready=300 node.kubernetes.io/unreachable=300 ' -- kubectl -n t-limits get pod web -o 'jsonpath={range .spec.tolerations[*]}{.key}={.tolerationSeconds} {end}'
