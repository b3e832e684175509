# e2e-server-args: --node-monitor-grace-period 10s
# Node lifecycle, taint eviction and node IPAM. There is no kubelet: the scenario creates Nodes and their Leases in
# kube-node-lease itself and stops renewing one of them. The server runs with a 10 s grace period (the header line above;
# upstream's default is 40 s). A second node, kept alive by a background renew loop, is needed: upstream's controller stops
# NoExecute tainting when every node of the cluster is down (it blames its own network then), and so does skiff's.

now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

for node in worker-a worker-b; do
  cat >"$node.yaml" <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
status:
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
    lastHeartbeatTime: "$now"
    lastTransitionTime: "$now"
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: $node
  namespace: kube-node-lease
spec:
  holderIdentity: $node
  leaseDurationSeconds: 40
  renewTime: "$(micro_now)"
YAML
  expect "create node $node and its lease" "node/$node created" -- kubectl create -f "$node.yaml"
done

# The kubelets of the nodes listed in renewing renew their leases every 2 s; worker-a's stays silent until it comes back.
echo worker-b >renewing
( while :; do
    for node in $(cat renewing); do
      kubectl -n kube-node-lease patch lease "$node" --type=merge -p "{\"spec\":{\"renewTime\":\"$(micro_now)\"}}" >/dev/null 2>&1
    done
    sleep 2
  done ) &
renewer=$!

eventually "worker-a gets a pod CIDR" 30 -- bash -c 'kubectl get node worker-a -o jsonpath={.spec.podCIDR} | grep -Eq "^10\.42\.[0-9]+\.0/24$"'
eventually "worker-b gets a pod CIDR" 30 -- bash -c 'kubectl get node worker-b -o jsonpath={.spec.podCIDR} | grep -Eq "^10\.42\.[0-9]+\.0/24$"'
expect_eq "the two pod CIDRs differ" "2" -- bash -c 'kubectl get nodes worker-a worker-b -o jsonpath="{.items[*].spec.podCIDR}" | tr " " "\n" | sort -u | wc -l'
expect "podCIDRs mirrors podCIDR" '^\["10\.42\.[0-9]+\.0/24"\]$' -- kubectl get node worker-a -o 'jsonpath={.spec.podCIDRs}'
expect "worker-a starts Ready" '^worker-a +Ready ' -- kubectl get node worker-a --no-headers

# Pods bound to worker-a (no scheduler involved). DefaultTolerationSeconds gives pods 300 s tolerations for not-ready and
# unreachable unless they bring their own: "doomed" tolerates unreachable for 0 s, "patient" keeps the 300 s default.
cat >pods.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: doomed
spec:
  nodeName: worker-a
  tolerations:
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 0
  containers:
  - name: c
    image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: patient
spec:
  nodeName: worker-a
  containers:
  - name: c
    image: busybox
YAML
expect "create pods bound to worker-a" 'pod/patient created' -- kubectl apply -f pods.yaml
expect "play the kubelet: patient is Ready" 'patched' -- kubectl patch pod patient --subresource=status --type=merge \
  -p "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}]}}"

# worker-a's lease is not renewed: after the grace period (plus up to one 5 s monitor period) it is NotReady.
eventually "worker-a goes NotReady" 60 -- bash -c 'kubectl get node worker-a --no-headers | grep -Eq "^worker-a +NotReady "'
expect "Ready is Unknown, NodeStatusUnknown" 'Unknown NodeStatusUnknown Kubelet stopped posting node status.' -- \
  kubectl get node worker-a -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}'
eventually "worker-a tainted unreachable:NoExecute" 30 -- bash -c 'kubectl describe node worker-a | grep -q "node.kubernetes.io/unreachable:NoExecute"'
expect "describe node shows the NoSchedule taint" 'node.kubernetes.io/unreachable:NoSchedule' -- kubectl describe node worker-a
eventually "describe node shows NodeNotReady" 20 -- bash -c 'kubectl describe node worker-a | grep -q "Node worker-a status is now: NodeNotReady"'
expect "describe node shows RegisteredNode" 'Registered Node worker-a in Controller' -- kubectl describe node worker-a
expect "worker-b stays Ready" '^worker-b +Ready ' -- kubectl get node worker-b --no-headers
expect_eq "worker-b has no taints" "" -- kubectl get node worker-b -o 'jsonpath={.spec.taints}'

# The pod tolerating unreachable for 0 s is evicted at once: Terminating (its kubelet would finish it), with the
# DisruptionTarget condition and a TaintManagerEviction event.
eventually "doomed is being deleted" 30 -- bash -c '[[ -n "$(kubectl get pod doomed -o jsonpath={.metadata.deletionTimestamp})" ]]'
expect "doomed shows Terminating" '^doomed .* Terminating ' -- kubectl get pod doomed --no-headers
expect "doomed has DisruptionTarget" 'True DeletionByTaintManager' -- \
  kubectl get pod doomed -o 'jsonpath={.status.conditions[?(@.type=="DisruptionTarget")].status} {.status.conditions[?(@.type=="DisruptionTarget")].reason}'
eventually "TaintManagerEviction event" 20 -- bash -c 'kubectl get events --field-selector reason=TaintManagerEviction | grep -q "Marking for deletion Pod default/doomed"'
expect_eq "patient (300 s toleration) stays" "" -- kubectl get pod patient -o 'jsonpath={.metadata.deletionTimestamp}'
eventually "patient is marked not Ready" 20 -- bash -c '[[ "$(kubectl get pod patient -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}")" == False ]]'

# The kubelet comes back: it renews its lease and posts Ready; the taints go.
expect "renew worker-a's lease" 'patched' -- kubectl -n kube-node-lease patch lease worker-a --type=merge -p "{\"spec\":{\"renewTime\":\"$(micro_now)\"}}"
echo worker-a >>renewing
later="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
expect "play the kubelet: worker-a Ready" 'patched' -- kubectl patch node worker-a --subresource=status --type=merge \
  -p "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\",\"lastHeartbeatTime\":\"$later\",\"lastTransitionTime\":\"$later\"}]}}"
eventually "worker-a Ready again" 30 -- bash -c 'kubectl get node worker-a --no-headers | grep -Eq "^worker-a +Ready "'
eventually "worker-a untainted" 30 -- bash -c '[[ -z "$(kubectl get node worker-a -o jsonpath={.spec.taints})" ]]'
eventually "patient's eviction is called off" 20 -- bash -c 'kubectl get events --field-selector reason=TaintManagerEviction | grep -q "Cancelling deletion of Pod default/patient"'
expect_eq "patient is still there" "" -- kubectl get pod patient -o 'jsonpath={.metadata.deletionTimestamp}'

kill "$renewer" 2>/dev/null
wait "$renewer" 2>/dev/null
