# StatefulSets and DaemonSets through their controllers. No agent runs: the script plays the kubelet (pods/status) and,
# for the DaemonSet, supplies the Node objects with kubectl create -f. DaemonSet pods name their node through node affinity
# and stay unbound, as upstream's do until a scheduler binds them.

mark_ready() {
  kubectl patch pod "$1" --subresource=status --type=merge \
    -p '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null 2>&1
}

# play_kubelet SELECTOR: every pod the selector picks becomes Running and Ready, until killed.
play_kubelet() {
  while true; do
    for pod in $(kubectl get pods -l "$1" -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
      mark_ready "$pod"
    done
    sleep 0.5
  done
}

stop_kubelet() {
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

pod_names() { kubectl get pods -l "$1" -o jsonpath='{.items[*].metadata.name}'; }

cat >sts.yaml <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: ["ReadWriteOnce"]
      resources:
        requests:
          storage: 1Gi
EOF

expect "create statefulset" '^statefulset.apps/web created$' -- kubectl create -f sts.yaml
eventually "web-0 is created first" 30 -- bash -c '[ "$(kubectl get sts web -o jsonpath={.status.replicas})" = 1 ]'
expect_eq "only web-0 while it is not Ready" "web-0" -- pod_names app=web
expect_eq "web-0 has its stable hostname" "web-0 nginx" -- kubectl get pod web-0 -o 'jsonpath={.spec.hostname} {.spec.subdomain}'
expect_eq "web-0 mounts its own claim" "www-web-0" -- kubectl get pod web-0 -o 'jsonpath={.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}'
expect "the claim exists" 'www-web-0' -- kubectl get pvc www-web-0 -o name
expect_eq "pod labels carry the identity" "web-0 0" -- kubectl get pod web-0 -o 'jsonpath={.metadata.labels.statefulset\.kubernetes\.io/pod-name} {.metadata.labels.apps\.kubernetes\.io/pod-index}'
mark_ready web-0
eventually "web-1 follows once web-0 is Ready" 30 -- bash -c '[ "$(kubectl get sts web -o jsonpath={.status.replicas})" = 2 ]'
expect_eq "web-2 waits for web-1" "web-0 web-1" -- pod_names app=web
mark_ready web-1
eventually "web-2 follows once web-1 is Ready" 30 -- kubectl get pod web-2 -o name
mark_ready web-2
expect "rollout status" 'roll(ing)? ?(out|update) complete' -- timeout 60 kubectl rollout status statefulset/web
expect "describe shows the ordered creates" 'create Pod web-0 in StatefulSet web successful' -- kubectl describe statefulset web
expect "three claims" '^3$' -- bash -c 'kubectl get pvc -o name | grep -c www-web-'
expect "READY column" 'web +3/3' -- kubectl get statefulset web

play_kubelet app=web &
kubelet_pid=$!
expect "set image" 'image updated' -- kubectl set image statefulset/web nginx=nginx:1.28
expect "rollout status after set image" 'complete' -- timeout 60 kubectl rollout status statefulset/web
eventually "every pod runs the new image" 30 -- bash -c '[ "$(kubectl get pods -l app=web -o jsonpath={.items[*].spec.containers[0].image})" = "nginx:1.28 nginx:1.28 nginx:1.28" ]'
eventually "current revision catches up" 30 -- bash -c '[ "$(kubectl get sts web -o jsonpath={.status.currentRevision})" = "$(kubectl get sts web -o jsonpath={.status.updateRevision})" ]'
expect "history has two revisions" '^2 +<none>' -- kubectl rollout history statefulset/web
expect "history of revision 2 shows its template" "nginx:1.28" -- kubectl rollout history statefulset/web --revision=2
expect "two ControllerRevisions" '^2$' -- bash -c 'kubectl get controllerrevisions -l app=web -o name | wc -l'
expect "undo" 'rolled back' -- kubectl rollout undo statefulset/web
eventually "undo brings the old image back" 60 -- bash -c '[ "$(kubectl get pods -l app=web -o jsonpath={.items[*].spec.containers[0].image})" = "nginx:1.27 nginx:1.27 nginx:1.27" ]'
expect "rollout status after undo" 'complete' -- timeout 60 kubectl rollout status statefulset/web
expect "history shows 2,3 after undo" '^3 +<none>' -- kubectl rollout history statefulset/web
expect "still two ControllerRevisions" '^2$' -- bash -c 'kubectl get controllerrevisions -l app=web -o name | wc -l'
stop_kubelet "$kubelet_pid"

expect "scale to 2" 'scaled' -- kubectl scale statefulset/web --replicas=2
eventually "the highest ordinal goes first" 30 -- bash -c '[ "$(kubectl get pods -l app=web -o jsonpath={.items[*].metadata.name})" = "web-0 web-1" ]'
expect "scale to 1" 'scaled' -- kubectl scale statefulset/web --replicas=1
eventually "then the next" 30 -- bash -c '[ "$(kubectl get pods -l app=web -o jsonpath={.items[*].metadata.name})" = "web-0" ]'
expect "describe shows the deletes" 'delete Pod web-2 in StatefulSet web successful' -- kubectl describe statefulset web
expect "claims are retained" '^3$' -- bash -c 'kubectl get pvc -o name | grep -c www-web-'

# DaemonSet: three worker nodes, one of them tainted, and one node outside the pool.
cat >nodes.yaml <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: e2e-a
  labels: {pool: workers}
---
apiVersion: v1
kind: Node
metadata:
  name: e2e-b
  labels: {pool: workers}
---
apiVersion: v1
kind: Node
metadata:
  name: e2e-tainted
  labels: {pool: workers}
spec:
  taints:
  - {key: dedicated, value: db, effect: NoSchedule}
---
apiVersion: v1
kind: Node
metadata:
  name: e2e-other
  labels: {pool: other}
EOF
cat >ds.yaml <<'EOF'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      nodeSelector:
        pool: workers
      containers:
      - name: agent
        image: busybox:1.36
EOF

# The pods' target nodes, from their node affinity.
ds_nodes() {
  kubectl get pods -l app=agent -o jsonpath='{range .items[*]}{.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]}{"\n"}{end}' | sort | xargs
}

expect "create nodes" 'node/e2e-a created' -- kubectl create -f nodes.yaml
expect "create daemonset" '^daemonset.apps/agent created$' -- kubectl create -f ds.yaml
eventually "one pod per eligible node" 30 -- bash -c '[ "$(kubectl get ds agent -o jsonpath={.status.desiredNumberScheduled}/{.status.currentNumberScheduled})" = 2/2 ]'
expect_eq "not on the tainted node nor outside the pool" "e2e-a e2e-b" -- ds_nodes
expect "pods tolerate not-ready nodes" 'node.kubernetes.io/not-ready' -- kubectl get pods -l app=agent -o 'jsonpath={.items[0].spec.tolerations[*].key}'
play_kubelet app=agent &
kubelet_pid=$!
expect "rollout status daemonset" 'successfully rolled out' -- timeout 60 kubectl rollout status daemonset/agent
cat >node-c.yaml <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: e2e-c
  labels: {pool: workers}
EOF
expect "add a node" 'node/e2e-c created' -- kubectl create -f node-c.yaml
eventually "the new node gets a pod" 30 -- bash -c '[ "$(kubectl get ds agent -o jsonpath={.status.currentNumberScheduled})" = 3 ]'
expect_eq "pods on the three workers" "e2e-a e2e-b e2e-c" -- ds_nodes
expect "set image on the daemonset" 'image updated' -- kubectl set image daemonset/agent agent=busybox:1.37
expect "rollout status after set image" 'successfully rolled out' -- timeout 60 kubectl rollout status daemonset/agent
eventually "every daemon pod runs the new image" 30 -- bash -c '[ "$(kubectl get pods -l app=agent -o jsonpath={.items[*].spec.containers[0].image})" = "busybox:1.37 busybox:1.37 busybox:1.37" ]'
expect "daemonset history has two revisions" '^2 +<none>' -- kubectl rollout history daemonset/agent
expect "undo the daemonset" 'rolled back' -- kubectl rollout undo daemonset/agent
eventually "daemon pods run the old image again" 30 -- bash -c '[ "$(kubectl get pods -l app=agent -o jsonpath={.items[*].spec.containers[0].image})" = "busybox:1.36 busybox:1.36 busybox:1.36" ]'
expect "rollout status after daemonset undo" 'successfully rolled out' -- timeout 60 kubectl rollout status daemonset/agent
expect "daemonset history shows 2,3 after undo" '^3 +<none>' -- kubectl rollout history daemonset/agent
expect "describe daemonset shows created pods" 'Created pod: agent-' -- kubectl describe daemonset agent
expect "untainting admits the node" 'untainted' -- kubectl taint node e2e-tainted dedicated-
eventually "the untainted node gets a pod" 30 -- bash -c '[ "$(kubectl get ds agent -o jsonpath={.status.desiredNumberScheduled}/{.status.currentNumberScheduled})" = 4/4 ]'
stop_kubelet "$kubelet_pid"
