# e2e-agent: yes
# Real pods on the agent embedded in `skiff server`: containerd and runc underneath, images from the local registry that
# scripts/images.sh fills (127.0.0.1:5000), and kubectl's logs, exec, attach and port-forward through the API server to the
# kubelet, over both the WebSocket paths (kubectl 1.32) and the SPDY paths (kubectl 1.29 for exec, 1.30 for port-forward).

REG=127.0.0.1:5000
KUBECTL_DIR="$(dirname "$(readlink -f "$(command -v kubectl)")")"

eventually "the embedded agent's node turns Ready" 90 -- kubectl wait node --all --for=condition=Ready --timeout=2s
expect "the node has its runtime and capacity" 'containerd://.* [0-9]+' -- \
  kubectl get nodes -o jsonpath='{.items[0].status.nodeInfo.containerRuntimeVersion} {.items[0].status.capacity.pods}'

kubectl create deployment web --image=$REG/skiff/httpd:1 --replicas=2 >/dev/null
expect "a Deployment of the httpd image rolls out" 'successfully rolled out' -- kubectl rollout status deployment/web --timeout=180s
web="$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')"
ip="$(kubectl get pod "$web" -o jsonpath='{.status.podIP}')"
expect "the page is served at the pod IP" 'Hello from skiff/httpd' -- curl -sS --max-time 5 "http://$ip/"
expect "status carries the containerd id, image id and QoS class" 'containerd://[0-9a-f]+ .+ BestEffort' -- \
  kubectl get pod "$web" -o jsonpath='{.status.containerStatuses[0].containerID} {.status.containerStatuses[0].imageID} {.status.qosClass}'

kubectl run sh --image=$REG/skiff/shell:1 --restart=Never -- sh -c 'echo hello-from-pod; echo second-line; sleep 3600' >/dev/null
eventually "the shell pod is Ready" 90 -- kubectl wait pod/sh --for=condition=Ready --timeout=2s
expect "kubectl logs prints the container's output" 'hello-from-pod' -- kubectl logs sh
expect_eq "kubectl logs --tail=1" 'second-line' -- kubectl logs sh --tail=1
expect_eq "kubectl exec over WebSocket" 'hi' -- kubectl exec sh -- echo hi
expect_eq "kubectl exec -i passes stdin" 'abc' -- sh -c 'echo abc | kubectl exec -i sh -- cat'
out="$(kubectl exec sh -- sh -c 'exit 3' 2>&1)"; rc=$?
if [[ $rc -eq 3 && "$out" == *"command terminated with exit code 3"* ]]; then e2e_pass "kubectl exec returns the command's exit code"; else e2e_fail "kubectl exec returns the command's exit code" "rc=$rc: $out"; fi
expect_eq "kubectl 1.29 exec over SPDY" 'spdy' -- "$KUBECTL_DIR/kubectl.1.29" exec sh -- echo spdy

port="$(e2e_free_port)"
kubectl port-forward "pod/$web" "$port:80" >/dev/null 2>&1 &
pf=$!
eventually "kubectl port-forward reaches the pod's port" 20 -- curl -fsS --max-time 3 "http://127.0.0.1:$port/"
kill "$pf" 2>/dev/null; wait "$pf" 2>/dev/null
port="$(e2e_free_port)"
"$KUBECTL_DIR/kubectl.1.30" port-forward "pod/$web" "$port:80" >/dev/null 2>&1 &
pf=$!
eventually "kubectl 1.30 port-forward over plain SPDY" 20 -- curl -fsS --max-time 3 "http://127.0.0.1:$port/"
kill "$pf" 2>/dev/null; wait "$pf" 2>/dev/null

kubectl run ticker --image=$REG/skiff/shell:1 --restart=Never -- sh -c 'while true; do echo tick; sleep 1; done' >/dev/null
eventually "the ticker pod is Ready" 90 -- kubectl wait pod/ticker --for=condition=Ready --timeout=2s
expect "kubectl attach shows the running container's output" 'tick' -- sh -c 'timeout 5 kubectl attach ticker 2>&1; true'

kubectl run crash --image=$REG/skiff/shell:1 -- sh -c 'echo crashing; exit 1' >/dev/null
eventually "a crashing container reaches CrashLoopBackOff" 90 -- sh -c "kubectl get pod crash | grep -q CrashLoopBackOff"
expect "its restart count grows" '^[1-9]' -- kubectl get pod crash -o jsonpath='{.status.containerStatuses[0].restartCount}'

kubectl delete deployment web --wait=false >/dev/null
eventually "deleting the Deployment removes its pods" 60 -- sh -c "[ -z \"\$(kubectl get pods -l app=web -o name)\" ]"
expect "the node reported the pod's hostIP" '^[0-9.]+$' -- kubectl get pod sh -o jsonpath='{.status.hostIP}'
uid="$(kubectl get pod sh -o jsonpath='{.metadata.uid}')"
expect "the pod's cgroup exists under the BestEffort QoS class" "pod$uid" -- sh -c "ls -d /sys/fs/cgroup/*/skiff/kubepods/besteffort/pod$uid"
kubectl delete pod sh ticker crash --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1
eventually "a deleted pod's cgroup is removed from every hierarchy" 20 -- sh -c "! ls -d /sys/fs/cgroup/*/skiff/kubepods/*/pod$uid /sys/fs/cgroup/*/skiff/kubepods/pod$uid 2>/dev/null | grep -q ."
