# e2e-server-args: --scheduler-config test/e2e/scenarios/71-scheduler-profiles.yaml
# Custom scheduling from a KubeSchedulerConfiguration file: the server serves two profiles. default-scheduler spreads pods
# (LeastAllocated); bin-packer packs them onto the fullest node (MostAllocated). Nodes are registered by the scenario, as in 70.

now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for node in pack-a pack-b; do
  kubectl create -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels: {kubernetes.io/hostname: $node}
status:
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, lastHeartbeatTime: "$now", lastTransitionTime: "$now"}
YAML
done
expect "two 4-cpu nodes registered" 'pack-a.*pack-b' -- bash -c 'kubectl get nodes -o name | paste -sd" "'

pod() { # NAME SCHEDULER
  kubectl run "$1" --image=busybox --restart=Never \
    --overrides="{\"spec\":{\"schedulerName\":\"$2\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}}}]}}"
}
bound() { [[ -n "$(kubectl get pod "$1" -o jsonpath='{.spec.nodeName}')" ]]; }

expect "first bin-packer pod" 'pod/pack-1 created' -- pod pack-1 bin-packer
eventually "pack-1 is bound" 20 -- bound pack-1
first_node="$(kubectl get pod pack-1 -o jsonpath='{.spec.nodeName}')"
for i in 2 3; do
  expect "bin-packer pod $i" "pod/pack-$i created" -- pod "pack-$i" bin-packer
  eventually "pack-$i is bound" 20 -- bound "pack-$i"
done
expect_eq "bin-packer packs all three onto one node" "$first_node $first_node $first_node" -- \
  kubectl get pods pack-1 pack-2 pack-3 -o 'jsonpath={.items[*].spec.nodeName}'

expect "a default-scheduler pod" 'pod/spread-1 created' -- pod spread-1 default-scheduler
eventually "spread-1 is bound" 20 -- bound spread-1
expect "default-scheduler spreads it to the emptier node" '^other$' -- bash -c '[[ "$(kubectl get pod spread-1 -o jsonpath={.spec.nodeName})" != '"$first_node"' ]] && echo other'
eventually "events name the profile that scheduled each pod" 20 -- bash -c 'kubectl describe pod pack-1 | grep -Eq "Normal +Scheduled .*bin-packer +Successfully assigned default/pack-1"'

# A bad file stops the server before it starts, naming every bad field.
printf 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 120\nprofiles:\n- schedulerName: a\n- schedulerName: a\n' >bad.yaml
expect_fail "a bad --scheduler-config is refused" 'percentageOfNodesToScore: Invalid value: 120.*Duplicate value: "a"' -- \
  timeout 30 "$SKIFF_BIN" server --data-dir "$PWD/bad-data" --secure-port 1 --scheduler-config bad.yaml
