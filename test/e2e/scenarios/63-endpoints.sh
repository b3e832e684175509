# Services get their pods' IPs through the Endpoints and EndpointSlice controllers; PodDisruptionBudgets and ResourceQuotas
# get their status. No agent runs, so the script plays the kubelet (pod status with a podIP and the Ready condition) and
# the scheduler (pods/binding).

# set_pod_status POD IP READY: the kubelet's status report.
set_pod_status() {
  kubectl patch pod "$1" --subresource=status --type=merge \
    -p "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$2\",\"podIPs\":[{\"ip\":\"$2\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"$3\"}]}}" >/dev/null
}

expect "create deployment" '^deployment.apps/ep created$' -- kubectl create deployment ep --image=nginx:1.27 --replicas=3 --port=80
expect "expose it" '^service/ep exposed$' -- kubectl expose deployment ep --port=8080 --target-port=80
eventually "three pods appear" 30 -- bash -c '[ "$(kubectl get pods -l app=ep -o name | wc -l)" -eq 3 ]'
mapfile -t pods < <(kubectl get pods -l app=ep -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sort)
set_pod_status "${pods[0]}" 10.42.0.10 True
set_pod_status "${pods[1]}" 10.42.0.11 True
set_pod_status "${pods[2]}" 10.42.0.12 True

eventually "kubectl get endpoints shows the three pod IPs" 20 -- bash -c \
  'kubectl get endpoints ep --no-headers | grep -Eq "^ep +10\.42\.0\.10:80,10\.42\.0\.11:80,10\.42\.0\.12:80 "'
expect "the addresses point at their pods" "^Pod/${pods[0]}\$" -- kubectl get endpoints ep -o 'jsonpath={.subsets[0].addresses[0].targetRef.kind}/{.subsets[0].addresses[0].targetRef.name}'
expect "kubectl get endpointslices shows them too" '^ep-[a-z0-9]{5} +IPv4 +80 +10\.42\.0\.10,10\.42\.0\.11,10\.42\.0\.12 ' -- \
  kubectl get endpointslices -l kubernetes.io/service-name=ep --no-headers
expect "the slice is managed and owned by the Service" '^endpointslice-controller.k8s.io Service/ep$' -- \
  kubectl get endpointslices -l kubernetes.io/service-name=ep -o 'jsonpath={.items[0].metadata.labels.endpointslice\.kubernetes\.io/managed-by} {.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name}'

# A pod that stops being ready leaves the addresses for notReadyAddresses, and is not ready in the slice.
set_pod_status "${pods[2]}" 10.42.0.12 False
eventually "a not-ready pod leaves the addresses" 20 -- bash -c \
  '[ "$(kubectl get endpoints ep -o "jsonpath={.subsets[0].addresses[*].ip}|{.subsets[0].notReadyAddresses[*].ip}")" = "10.42.0.10 10.42.0.11|10.42.0.12" ]'
expect "the slice marks it not ready" '^false$' -- kubectl get endpointslices -l kubernetes.io/service-name=ep \
  -o 'jsonpath={.items[0].endpoints[?(@.addresses[0]=="10.42.0.12")].conditions.ready}'

# Pod deletion: a pod on a node is only marked for deletion (the kubelet would stop it), and its IP leaves at once.
echo "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"${pods[0]}\"},\"target\":{\"kind\":\"Node\",\"name\":\"node-a\"}}" >binding.json
kubectl create --raw "/api/v1/namespaces/default/pods/${pods[0]}/binding" -f binding.json >/dev/null
expect "delete a pod without waiting" "deleted" -- kubectl delete pod "${pods[0]}" --wait=false
expect "the pod is still there, terminating" '^.+T.+Z$' -- kubectl get pod "${pods[0]}" -o 'jsonpath={.metadata.deletionTimestamp}'
eventually "its IP left the endpoints" 20 -- bash -c \
  '[ "$(kubectl get endpoints ep -o "jsonpath={.subsets[0].addresses[*].ip}")" = "10.42.0.11" ]'
eventually "the slice lists it as terminating" 20 -- bash -c \
  '[ "$(kubectl get endpointslices -l kubernetes.io/service-name=ep -o "jsonpath={.items[0].endpoints[?(@.addresses[0]==\"10.42.0.10\")].conditions.terminating}")" = "true" ]'

# A PodDisruptionBudget: one healthy pod is needed; 10.42.0.11 is the only ready one, so nothing may go, until .12 recovers.
expect "create pdb" '^poddisruptionbudget.policy/ep created$' -- kubectl create pdb ep --selector=app=ep --min-available=1
eventually "kubectl get pdb: no disruption allowed" 20 -- bash -c 'kubectl get pdb ep --no-headers | grep -Eq "^ep +1 +N/A +0 "'
set_pod_status "${pods[2]}" 10.42.0.12 True
eventually "kubectl get pdb: ALLOWED DISRUPTIONS 1 once another pod is ready" 20 -- bash -c 'kubectl get pdb ep --no-headers | grep -Eq "^ep +1 +N/A +1 "'
expect "the pdb says why" '^SufficientPods 2 1$' -- kubectl get pdb ep -o 'jsonpath={.status.conditions[0].reason} {.status.currentHealthy} {.status.desiredHealthy}'
echo "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"${pods[1]}\",\"namespace\":\"default\"}}" >evict-1.json
echo "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"${pods[2]}\",\"namespace\":\"default\"}}" >evict-2.json
expect "one eviction is allowed" '"status":"Success"' -- kubectl create --raw "/api/v1/namespaces/default/pods/${pods[1]}/eviction" -f evict-1.json
expect_fail "the next is refused with 429" 'TooManyRequests|disruption budget' -- kubectl create --raw "/api/v1/namespaces/default/pods/${pods[2]}/eviction" -f evict-2.json

# kubectl drain: refused (and retried) while the budget allows nothing; done once the replacement pods are ready.
kubectl create -f - >/dev/null <<<'{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-b"}}'
echo "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"${pods[2]}\"},\"target\":{\"kind\":\"Node\",\"name\":\"node-b\"}}" >binding-b.json
kubectl create --raw "/api/v1/namespaces/default/pods/${pods[2]}/binding" -f binding-b.json >/dev/null
expect_fail "drain is refused while the budget allows no disruption" "disruption budget" -- kubectl drain node-b --grace-period=0 --timeout=8s
mapfile -t replacements < <(kubectl get pods -l app=ep -o jsonpath='{range .items[?(@.status.phase=="Pending")]}{.metadata.name}{"\n"}{end}')
n=20
for pod in "${replacements[@]}"; do set_pod_status "$pod" "10.42.0.$n" True; n=$((n + 1)); done
eventually "the replacements make disruptions allowed" 20 -- bash -c 'kubectl get pdb ep --no-headers | grep -Eq "^ep +1 +N/A +[1-9] "'
expect "drain evicts the pod now" "node/node-b drained" -- kubectl drain node-b --grace-period=0 --timeout=30s
expect_fail "the drained pod is gone" "NotFound" -- kubectl get pod "${pods[2]}"

# A ResourceQuota shows what its namespace uses.
kubectl create namespace quota-e2e >/dev/null
expect "create quota" '^resourcequota/compute created$' -- kubectl -n quota-e2e create quota compute --hard=pods=10,requests.cpu=2,requests.memory=1Gi,limits.memory=2Gi,configmaps=5,count/deployments.apps=3
kubectl -n quota-e2e apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: worker
spec:
  containers:
  - name: main
    image: busybox
    resources:
      requests: {cpu: 250m, memory: 64Mi}
      limits: {memory: 128Mi}
YAML
eventually "describe quota shows pod usage" 20 -- bash -c 'kubectl -n quota-e2e describe quota compute | grep -Eq "^requests\.cpu +250m +2$"'
expect "describe quota shows Used and Hard" 'pods +1 +10' -- kubectl -n quota-e2e describe quota compute
expect "memory in its own units" 'requests\.memory +64Mi +1Gi' -- kubectl -n quota-e2e describe quota compute
expect "object counts" 'count/deployments\.apps +0 +3' -- kubectl -n quota-e2e describe quota compute
expect "kubectl get quota" 'pods: 1/10' -- kubectl -n quota-e2e get quota compute
kubectl patch pod worker -n quota-e2e --subresource=status --type=merge -p '{"status":{"phase":"Succeeded"}}' >/dev/null
eventually "a finished pod stops counting" 20 -- bash -c 'kubectl -n quota-e2e describe quota compute | grep -Eq "^pods +0 +10$"'

# The Service goes, and its Endpoints and slices with it.
expect "delete the service" 'deleted' -- kubectl delete service ep
eventually "its endpoints are gone" 20 -- bash -c '! kubectl get endpoints ep >/dev/null 2>&1'
eventually "its slices are gone" 20 -- bash -c '[ -z "$(kubectl get endpointslices -l kubernetes.io/service-name=ep -o name)" ]'
