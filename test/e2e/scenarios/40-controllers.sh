# The controller manager: every namespace gets its default ServiceAccount and the cluster CA, and deleting a namespace
# empties it and removes it.

expect "create namespace" '^namespace/t1 created$' -- kubectl create namespace t1
eventually "default ServiceAccount appears" 20 -- kubectl -n t1 get serviceaccount default
eventually "kube-root-ca.crt appears" 20 -- kubectl -n t1 get configmap kube-root-ca.crt
expect "kube-root-ca.crt holds the cluster CA" 'BEGIN CERTIFICATE' -- kubectl -n t1 get configmap kube-root-ca.crt -o 'jsonpath={.data.ca\.crt}'
expect "create configmap" '^configmap/cfg created$' -- kubectl -n t1 create configmap cfg --from-literal=a=1
expect "create deployment" '^deployment.apps/web created$' -- kubectl -n t1 create deployment web --image=nginx:1.27
expect "delete namespace waits until it is gone" 'namespace "t1" deleted' -- timeout 60 kubectl delete namespace t1
expect_fail "deleted namespace is gone" 'NotFound|not found' -- kubectl get namespace t1
expect_fail "its objects are gone" 'NotFound|not found' -- kubectl -n t1 get configmap cfg

# An object with a finalizer holds the namespace in Terminating until the finalizer is removed.
expect "create namespace t2" '^namespace/t2 created$' -- kubectl create namespace t2
cat >held.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  namespace: t2
  finalizers: ["example.com/hold"]
data:
  a: "1"
YAML
expect "create configmap with a finalizer" 'configmap/held created' -- kubectl apply -f held.yaml
expect "delete namespace t2" 'namespace "t2" deleted' -- kubectl delete namespace t2 --wait=false
eventually "held configmap is being deleted" 20 -- bash -c '[[ -n "$(kubectl -n t2 get configmap held -o jsonpath={.metadata.deletionTimestamp})" ]]'
expect "namespace stays Terminating" 'Terminating' -- kubectl get namespace t2
eventually "condition names the finalizer that holds it" 20 -- bash -c 'kubectl get namespace t2 -o jsonpath="{.status.conditions[?(@.type==\"NamespaceFinalizersRemaining\")].message}" | grep -q "example.com/hold in 1 resource instances"'
expect "condition says content remains" 'Some resources are remaining: configmaps has 1 resource instances' -- kubectl get namespace t2 -o 'jsonpath={.status.conditions[?(@.type=="NamespaceContentRemaining")].message}'
expect "release the finalizer" 'patched' -- kubectl -n t2 patch configmap held --type=merge -p '{"metadata":{"finalizers":null}}'
eventually "namespace t2 goes once empty" 20 -- bash -c '! kubectl get namespace t2 >/dev/null 2>&1'

# The controllers' work queues and reconciles are measured on the API server's /metrics, under client-go's names.
expect "metrics show the namespace work queue" '^workqueue_adds_total\{name="namespace"\} [1-9]' -- bash -c 'kubectl get --raw /metrics | grep "^workqueue_adds_total"'
expect "metrics count successful reconciles" '^controller_runtime_reconcile_total\{controller="namespace",result="success"\} [1-9]' -- bash -c 'kubectl get --raw /metrics | grep "^controller_runtime_reconcile_total"'
