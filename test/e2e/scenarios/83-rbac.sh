# RBAC with the real kubectl: a user bound to `view` in one namespace reads but cannot write (upstream's 403 texts), `edit`
# lets it create, `kubectl auth can-i` (also --list and --as) answers from the same rules, an aggregated ClusterRole extends
# view, a ServiceAccount token is authorized as its account, and a node may read only what its own pods reference.

kubectl create namespace team >/dev/null
kubectl -n team create configmap settings --from-literal=a=1 >/dev/null
kubectl -n team create secret generic password --from-literal=p=x >/dev/null
kubectl -n team run web --image=busybox --restart=Never >/dev/null

expect_fail "an unbound user cannot list pods" '^Error from server \(Forbidden\): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "team"$' -- kubectl -n team get pods --as=jane
expect "view in team" 'rolebinding.rbac.authorization.k8s.io/jane-view created' -- kubectl -n team create rolebinding jane-view --clusterrole=view --user=jane
eventually "jane lists pods" 10 -- kubectl -n team get pods --as=jane
expect "jane reads a configmap" '^settings ' -- kubectl -n team get configmap settings --as=jane --no-headers
expect_fail "jane cannot delete a pod" '^Error from server \(Forbidden\): pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "team"$' -- kubectl -n team delete pod web --as=jane
expect_fail "jane cannot create a configmap" 'configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "team"' -- kubectl -n team create configmap other --from-literal=b=2 --as=jane
expect_fail "jane cannot read secrets" 'secrets "password" is forbidden: User "jane" cannot get resource "secrets" in API group "" in the namespace "team"' -- kubectl -n team get secret password --as=jane
expect_fail "jane cannot exec (a subresource)" 'pods "web" is forbidden: User "jane" cannot create resource "pods/exec" in API group "" in the namespace "team"' -- kubectl -n team exec web --as=jane -- true
expect_fail "view is namespaced" 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"' -- kubectl -n default get pods --as=jane
expect_fail "jane cannot read /metrics" 'forbidden: User "jane" cannot get path "/metrics"' -- kubectl get --raw /metrics --as=jane

expect_eq "can-i get pods: yes" "yes" -- kubectl -n team auth can-i get pods --as=jane
expect_eq "can-i delete pods: no" "no" -- kubectl -n team auth can-i delete pods --as=jane
expect "can-i --list shows view's rules" '^configmaps +\[\] +\[\] +\[get list watch\]' -- kubectl -n team auth can-i --list --as=jane
expect "can-i --list shows the self reviews" '^selfsubjectaccessreviews.authorization.k8s.io +\[\] +\[\] +\[create\]' -- kubectl -n team auth can-i --list --as=jane
expect_eq "the admin may do everything" "yes" -- kubectl auth can-i '*' '*'

expect "edit in team" 'rolebinding.rbac.authorization.k8s.io/jane-edit created' -- kubectl -n team create rolebinding jane-edit --clusterrole=edit --user=jane
eventually "jane creates a configmap with edit" 10 -- kubectl -n team create configmap made-by-jane --from-literal=b=2 --as=jane
expect_fail "edit still cannot touch RBAC" 'rolebindings.rbac.authorization.k8s.io is forbidden: User "jane" cannot create resource "rolebindings"' -- kubectl -n team create rolebinding sneaky --clusterrole=admin --user=jane --as=jane

# Aggregation: a ClusterRole labelled aggregate-to-view adds its rules to view (and so to edit and admin).
expect "an aggregated role" 'clusterrole.rbac.authorization.k8s.io/widgets-view created' -- kubectl create clusterrole widgets-view --verb=get,list --resource=cronjobs.batch,ingressclasses.networking.k8s.io
kubectl label clusterrole widgets-view rbac.authorization.k8s.io/aggregate-to-view=true >/dev/null
eventually "view aggregates the new rule" 10 -- bash -c 'kubectl get clusterrole view -o jsonpath="{.rules[*].resources}" | grep -q ingressclasses'
eventually "admin aggregates it too" 10 -- bash -c 'kubectl get clusterrole admin -o jsonpath="{.rules[*].resources}" | grep -q ingressclasses'
kubectl create rolebinding bob-view --clusterrole=view --user=bob -n team >/dev/null
eventually "bob may list ingressclasses through view" 10 -- bash -c '[[ "$(kubectl -n team auth can-i list ingressclasses.networking.k8s.io --as=bob)" == yes ]]'

# Impersonation needs the impersonate verb: jane may not impersonate, an admin may.
expect_fail "impersonating a group alone is refused" 'without impersonating a user' -- kubectl get --raw /api --as-group=system:masters

# A ServiceAccount's token is authorized as system:serviceaccount:team:reader.
kubectl -n team create serviceaccount reader >/dev/null
kubectl -n team create rolebinding reader-view --clusterrole=view --serviceaccount=team:reader >/dev/null
token="$(kubectl -n team create token reader)"
server="$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')"
kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >ca.crt
as_reader() { kubectl --kubeconfig=/dev/null --server="$server" --certificate-authority=ca.crt --token="$token" "$@"; }
eventually "the token lists pods" 10 -- as_reader -n team get pods
expect_fail "the token cannot delete" 'pods "web" is forbidden: User "system:serviceaccount:team:reader" cannot delete resource "pods" in API group "" in the namespace "team"' -- as_reader -n team delete pod web
expect_eq "can-i as the service account" "yes" -- kubectl -n team auth can-i list configmaps --as=system:serviceaccount:team:reader
expect_fail "the account cannot impersonate" 'users "admin" is forbidden: User "system:serviceaccount:team:reader" cannot impersonate resource "users" in API group "" at the cluster scope' -- as_reader get pods --as=admin

# Nodes: RBAC's system:node role (bound to system:nodes) and the Node authorizer's pod graph.
expect "a node may get nodes" '^yes$' -- kubectl auth can-i get nodes --as=system:node:x --as-group=system:nodes
expect_fail "a node may not read an unrelated secret" 'no - no relationship found between node .x. and this object' -- kubectl -n team auth can-i get secrets/password --as=system:node:x --as-group=system:nodes
expect_fail "a node may not list secrets" '^no' -- kubectl -n team auth can-i list secrets --as=system:node:x --as-group=system:nodes
expect_fail "a node may not modify another node" 'nodes "other" is forbidden: node "x" is not allowed to modify node "other"' -- kubectl create -f - --as=system:node:x --as-group=system:nodes <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: other
YAML
kubectl -n team create -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: on-x
spec:
  nodeName: x
  containers:
  - name: c
    image: busybox
    env:
    - name: P
      valueFrom:
        secretKeyRef: {name: password, key: p}
YAML
eventually "a pod on x makes its secret readable by x" 10 -- bash -c '[[ "$(kubectl -n team auth can-i get secrets/password --as=system:node:x --as-group=system:nodes)" == yes ]]'
expect_fail "but not by node y" "^no - no relationship found between node 'y' and this object" -- kubectl -n team auth can-i get secrets/password --as=system:node:y --as-group=system:nodes
