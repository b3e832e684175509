# The scheduler in `skiff server`: pods that fit nowhere, nodes arriving, taints, affinity, spread and schedulerName.
# There is no kubelet yet: the scenario registers Nodes (with capacity and a Ready condition) and renews their Leases
# itself, as a kubelet would; pods are bound but never run.


# add_node NAME CPU MEMORY [LABEL=VALUE...]: a Node as a kubelet registers it, plus its Lease.
add_node() {
  local name=$1 cpu=$2 memory=$3 now labels=""
  shift 3
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for label in "$@"; do labels+="    ${label%%=*}: \"${label#*=}\""$'\n'; done
  cat >"node-$name.yaml" <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $name
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
$labels
status:
  capacity: {cpu: "$cpu", memory: $memory, pods: "110"}
  allocatable: {cpu: "$cpu", memory: $memory, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status, lastHeartbeatTime: "$now", lastTransitionTime: "$now"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: $name
  namespace: kube-node-lease
spec:
  holderIdentity: $name
  leaseDurationSeconds: 40
  renewTime: "$(micro_now)"
YAML
  kubectl create -f "node-$name.yaml" >/dev/null && echo "$name" >>renewing
}

node_of() { kubectl get pod "$1" -o jsonpath='{.spec.nodeName}'; }

: >renewing
( while :; do
    for node in $(cat renewing); do
      kubectl -n kube-node-lease patch lease "$node" --type=merge -p "{\"spec\":{\"renewTime\":\"$(micro_now)\"}}" >/dev/null 2>&1
    done
    sleep 5
  done ) &
renewer=$!

# 1. No node at all: the pod stays Pending, with upstream's event and condition.
expect "create a pod asking for 2 cpus" 'pod/big created' -- kubectl run big --image=busybox --restart=Never --overrides='{"spec":{"containers":[{"name":"big","image":"busybox","resources":{"requests":{"cpu":"2","memory":"1Gi"}}}]}}'
eventually "no nodes: FailedScheduling" 20 -- bash -c 'kubectl get events --field-selector involvedObject.name=big,reason=FailedScheduling -o jsonpath={.items[*].message} | grep -q "no nodes available to schedule pods"'
expect "big is Pending" '^big +0/1 +Pending ' -- kubectl get pod big --no-headers

# 2. A node too small: the message counts it as Insufficient cpu; PodScheduled=False says the same.
expect "register node small (1 cpu)" '' -- add_node small 1 4Gi zone=a
eventually "too small: 0/1 nodes, Insufficient cpu" 30 -- bash -c 'kubectl describe pod big | grep -q "0/1 nodes are available: 1 Insufficient cpu."'
expect "PodScheduled=False Unschedulable" '^False Unschedulable 0/1 nodes are available: 1 Insufficient cpu\.' -- \
  kubectl get pod big -o 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason} {.status.conditions[?(@.type=="PodScheduled")].message}'

# 3. A fitting node arrives: the pod is bound to it at once, with the Scheduled event.
expect "register node large (4 cpus)" '' -- add_node large 4 8Gi zone=b
eventually "big is bound to large" 20 -- bash -c '[[ "$(kubectl get pod big -o jsonpath={.spec.nodeName})" == large ]]'
eventually "Scheduled event" 20 -- bash -c 'kubectl describe pod big | grep -Eq "Normal +Scheduled .*default-scheduler +Successfully assigned default/big to large"'
expect "PodScheduled=True" '^True$' -- kubectl get pod big -o 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'

# 4. Taints: a NoSchedule taint keeps pods off a node unless they tolerate it.
expect "taint large" 'node/large tainted' -- kubectl taint nodes large dedicated=batch:NoSchedule
expect "create an intolerant pod" 'pod/plain created' -- kubectl run plain --image=busybox --restart=Never
eventually "the intolerant pod goes to small" 20 -- bash -c '[[ "$(kubectl get pod plain -o jsonpath={.spec.nodeName})" == small ]]'
expect "create a tolerating pod pinned to zone b" 'pod/tolerant created' -- kubectl run tolerant --image=busybox --restart=Never \
  --overrides='{"spec":{"nodeSelector":{"zone":"b"},"tolerations":[{"key":"dedicated","operator":"Equal","value":"batch","effect":"NoSchedule"}]}}'
eventually "the tolerating pod goes to large" 20 -- bash -c '[[ "$(kubectl get pod tolerant -o jsonpath={.spec.nodeName})" == large ]]'
expect "create an intolerant pod pinned to zone b" 'pod/refused created' -- kubectl run refused --image=busybox --restart=Never --overrides='{"spec":{"nodeSelector":{"zone":"b"}}}'
eventually "refused: taint and selector in the message" 20 -- bash -c "kubectl get events --field-selector involvedObject.name=refused,reason=FailedScheduling -o jsonpath={.items[*].message} | grep -q \"0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: batch}.\""
expect "untaint large" 'node/large untainted' -- kubectl taint nodes large dedicated-
eventually "refused is scheduled once the taint goes" 20 -- bash -c '[[ "$(kubectl get pod refused -o jsonpath={.spec.nodeName})" == large ]]'

# 5. Required node affinity places a pod in its zone.
cat >affine.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: affine
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - {key: zone, operator: In, values: [a]}
  containers:
  - {name: c, image: busybox}
YAML
expect "create a pod requiring zone a" 'pod/affine created' -- kubectl apply -f affine.yaml
eventually "affine goes to small (zone a)" 20 -- bash -c '[[ "$(kubectl get pod affine -o jsonpath={.spec.nodeName})" == small ]]'

# 6. Topology spread: 4 replicas with maxSkew 1 over hostname land 2 and 2.
cat >spread.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: spread
spec:
  replicas: 4
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}
      containers:
      - {name: c, image: busybox}
YAML
expect "create a spread deployment" 'deployment.apps/spread created' -- kubectl apply -f spread.yaml
eventually "all 4 spread pods are bound" 30 -- bash -c '[[ "$(kubectl get pods -l app=spread -o jsonpath={.items[*].spec.nodeName} | wc -w)" == 4 ]]'
expect_eq "2 on each node" "2 large,2 small" -- bash -c 'kubectl get pods -l app=spread -o jsonpath={.items[*].spec.nodeName} | tr " " "\n" | sort | uniq -c | awk "{print \$1\" \"\$2}" | paste -sd,'

# 7. Required pod anti-affinity: one per node; the third fits nowhere and says why.
cat >anti.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: anti
spec:
  replicas: 3
  selector: {matchLabels: {app: anti}}
  template:
    metadata: {labels: {app: anti}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: anti}}}
      containers:
      - {name: c, image: busybox}
YAML
expect "create an anti-affine deployment" 'deployment.apps/anti created' -- kubectl apply -f anti.yaml
eventually "two anti pods bound, on different nodes" 30 -- bash -c '[[ "$(kubectl get pods -l app=anti -o jsonpath={.items[*].spec.nodeName} | tr " " "\n" | sort -u | paste -sd,)" == large,small ]]'
eventually "the third says anti-affinity" 30 -- bash -c "kubectl get events --field-selector reason=FailedScheduling -o jsonpath={.items[*].message} | grep -q \"0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.\""
expect_eq "one anti pod is left unbound" "1" -- bash -c "kubectl get pods -l app=anti -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | grep -c '^\$'"

# 8. A pod for another scheduler is left alone: Pending, no nodeName, no event from ours.
expect "create a pod for another scheduler" 'pod/elsewhere created' -- kubectl run elsewhere --image=busybox --restart=Never --overrides='{"spec":{"schedulerName":"my-scheduler"}}'
sleep 3
expect_eq "it stays unbound" "" -- kubectl get pod elsewhere -o 'jsonpath={.spec.nodeName}'
expect_eq "and gets no event" "" -- kubectl get events --field-selector involvedObject.name=elsewhere -o 'jsonpath={.items[*].reason}'

# 10. Volumes: a missing claim keeps the pod Pending; a WaitForFirstConsumer claim lets it go where its class allows; a claim
# bound to a local volume takes the pod to that volume's node.
cat >claimer.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: claimer
spec:
  containers:
  - {name: c, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data}}
YAML
expect "create a pod using a missing claim" 'pod/claimer created' -- kubectl apply -f claimer.yaml
eventually "FailedScheduling names the claim" 20 -- bash -c 'kubectl get events --field-selector involvedObject.name=claimer,reason=FailedScheduling -o jsonpath={.items[*].message} | grep -q "persistentvolumeclaim \"data\" not found"'
cat >storage.yaml <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: zonal-wffc
provisioner: example.com/none
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
- matchLabelExpressions:
  - {key: zone, values: [a]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  storageClassName: zonal-wffc
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  local: {path: /mnt/disk}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [large]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: pinned
spec:
  storageClassName: ""
  volumeName: local-pv
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
YAML
expect "create the class, the claims and the local volume" 'persistentvolumeclaim/pinned created' -- kubectl apply -f storage.yaml
eventually "claimer goes to the node its class allows (zone a)" 30 -- bash -c '[[ "$(kubectl get pod claimer -o jsonpath={.spec.nodeName})" == small ]]'
sed -e 's/name: claimer/name: pinned-user/' -e 's/claimName: data/claimName: pinned/' claimer.yaml >pinned.yaml
expect "create a pod using the local volume's claim" 'pod/pinned-user created' -- kubectl apply -f pinned.yaml
eventually "pinned-user goes to the volume's node" 20 -- bash -c '[[ "$(kubectl get pod pinned-user -o jsonpath={.spec.nodeName})" == large ]]'

# 11. Preemption: a node full of a low-priority pod; a high-priority pod that fits only there evicts it, is nominated, and
# takes its place once the victim is gone (there is no kubelet to finish the graceful deletion, so the scenario does).
expect "register node tiny (1 cpu)" '' -- add_node tiny 1 4Gi pool=tiny
expect "create PriorityClass high" 'priorityclass.scheduling.k8s.io/high created' -- kubectl create priorityclass high --value=1000
tiny_pod() { # NAME [PRIORITYCLASS]
  kubectl run "$1" --image=busybox --restart=Never --overrides="{\"spec\":{\"nodeSelector\":{\"pool\":\"tiny\"},\"priorityClassName\":\"${2:-}\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"800m\"}}}]}}"
}
expect "a low-priority pod fills tiny" 'pod/lowly created' -- tiny_pod lowly
eventually "lowly runs on tiny" 20 -- bash -c '[[ "$(kubectl get pod lowly -o jsonpath={.spec.nodeName})" == tiny ]]'
expect "a high-priority pod that needs tiny" 'pod/vip created' -- tiny_pod vip high
expect_eq "vip got priority 1000 from its class" "1000" -- kubectl get pod vip -o 'jsonpath={.spec.priority}'
eventually "lowly is preempted (being deleted)" 20 -- bash -c '[[ -n "$(kubectl get pod lowly -o jsonpath={.metadata.deletionTimestamp})" ]]'
expect "lowly has DisruptionTarget PreemptionByScheduler" '^True PreemptionByScheduler$' -- \
  kubectl get pod lowly -o 'jsonpath={.status.conditions[?(@.type=="DisruptionTarget")].status} {.status.conditions[?(@.type=="DisruptionTarget")].reason}'
eventually "Preempted event on lowly" 20 -- bash -c 'kubectl get events --field-selector involvedObject.name=lowly,reason=Preempted -o jsonpath={.items[*].message} | grep -q "Preempted by pod .* on node tiny"'
eventually "vip is nominated to tiny" 20 -- bash -c '[[ "$(kubectl get pod vip -o jsonpath={.status.nominatedNodeName})" == tiny ]]'
expect "play the kubelet: lowly's containers stopped" 'deleted' -- kubectl delete pod lowly --grace-period=0 --force
eventually "vip is bound to tiny" 30 -- bash -c '[[ "$(kubectl get pod vip -o jsonpath={.spec.nodeName})" == tiny ]]'

# 13. Scheduling gates: a gated pod waits (SchedulingGated) until its gates are removed; gates cannot be added back.
expect "create a gated pod" 'pod/gated created' -- kubectl run gated --image=busybox --restart=Never --overrides='{"spec":{"schedulingGates":[{"name":"example.com/quota"}]}}'
expect "it shows SchedulingGated" '^gated +0/1 +SchedulingGated ' -- kubectl get pod gated --no-headers
sleep 2
expect_eq "it stays unbound" "" -- kubectl get pod gated -o 'jsonpath={.spec.nodeName}'
expect "it is counted as gated" 'scheduler_pending_pods\{queue="gated"\} 1' -- kubectl get --raw /metrics
expect_fail "a new gate is refused" 'only deletion is allowed, but found new scheduling gate' -- \
  kubectl patch pod gated --type=json -p '[{"op":"add","path":"/spec/schedulingGates/-","value":{"name":"example.com/other"}}]'
expect "remove its gate" 'pod/gated patched' -- kubectl patch pod gated --type=json -p '[{"op":"remove","path":"/spec/schedulingGates"}]'
eventually "the ungated pod is scheduled" 20 -- bash -c '[[ -n "$(kubectl get pod gated -o jsonpath={.spec.nodeName})" ]]'

# 12. kube-scheduler's metrics on /metrics.
expect "scheduled attempts counted" 'scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} [1-9]' -- kubectl get --raw /metrics
expect "unschedulable attempts counted" 'scheduler_schedule_attempts_total\{profile="default-scheduler",result="unschedulable"\} [1-9]' -- kubectl get --raw /metrics
expect "preemption attempts counted" 'scheduler_preemption_attempts_total [1-9]' -- kubectl get --raw /metrics

# 9. The scheduler holds its Lease, as kube-scheduler does.
expect "kube-scheduler lease held" '.+' -- kubectl -n kube-system get lease kube-scheduler -o 'jsonpath={.spec.holderIdentity}'

kill "$renewer" 2>/dev/null
wait "$renewer" 2>/dev/null
