# kubectl against the API server alone (no node): create, get in every output, apply, patch, label, scale, delete.

cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    ports:
    - containerPort: 80
YAML

cat >deploy.yaml <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
  labels:
    app: demo
spec:
  replicas: 2
  selector:
    matchLabels:
      app: demo
  template:
    metadata:
      labels:
        app: demo
    spec:
      containers:
      - name: app
        image: nginx:1.26
YAML

expect "version reports the served minor" 'Server Version: v1\.32' -- kubectl version
expect "api-versions lists apps/v1" '^apps/v1$' -- kubectl api-versions
expect "api-resources lists pods with short name" '^pods +po +v1 +true +Pod' -- kubectl api-resources
expect "api-resources lists deployments" '^deployments +deploy +apps/v1 +true +Deployment' -- kubectl api-resources
expect "default namespaces exist" 'kube-node-lease +Active' -- kubectl get namespaces
expect "kubernetes service exists" 'kubernetes +ClusterIP +10\.43\.0\.1 +<none> +443/TCP' -- kubectl get svc kubernetes

expect "create -f pod" '^pod/web created$' -- kubectl create -f pod.yaml
expect_fail "create -f again is AlreadyExists" 'Error from server \(AlreadyExists\).*pods "web" already exists' -- kubectl create -f pod.yaml
expect "get pods table" '^web +0/1 +Pending +0 +[0-9]+s$' -- kubectl get pods --no-headers
expect "get pods header" '^NAME +READY +STATUS +RESTARTS +AGE$' -- kubectl get pods
expect "get pods -o wide header" 'NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES' -- kubectl get pods -o wide
expect "get pod -o yaml shows defaults" 'imagePullPolicy: IfNotPresent' -- kubectl get pod web -o yaml
expect "get pod -o yaml port protocol default" 'protocol: TCP' -- kubectl get pod web -o yaml
expect "get pod -o yaml restartPolicy default" 'restartPolicy: Always' -- kubectl get pod web -o yaml
expect "get pod -o json" '"uid": "[0-9a-f-]{36}"' -- kubectl get pod web -o json
expect_eq "get pod -o jsonpath" 'nginx:1.27' -- kubectl get pod web -o 'jsonpath={.spec.containers[0].image}'
expect "metrics count requests" 'apiserver_request_total\{.*verb="GET"' -- kubectl get --raw /metrics
expect "get pod -o custom-columns" '^web +nginx:1\.27$' -- kubectl get pod web -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image --no-headers
expect "get pods -A shows namespace" '^default +web ' -- kubectl get pods -A --no-headers
expect "get pods --show-labels" 'app=web' -- kubectl get pods --show-labels
expect "get pods -o name" '^pod/web$' -- kubectl get pods -o name
expect "get by label selector" '^pod/web$' -- kubectl get pods -l app=web -o name
expect_eq "label selector excludes" '' -- kubectl get pods -l app=other -o name
expect "field selector on name" '^pod/web$' -- kubectl get pods --field-selector metadata.name=web -o name
expect "field selector on phase" '^pod/web$' -- kubectl get pods --field-selector status.phase=Pending -o name

expect "label" '^pod/web labeled$' -- kubectl label pod web env=prod
expect_eq "label is stored" 'prod' -- kubectl get pod web -o 'jsonpath={.metadata.labels.env}'
expect "label removal" '^pod/web unlabeled$' -- kubectl label pod web env-
expect "annotate" '^pod/web annotated$' -- kubectl annotate pod web note=hello
expect_fail "label with stale resourceVersion conflicts" 'Conflict|the object has been modified' -- kubectl label pod web tier=x --resource-version=1

expect "apply creates" '^deployment.apps/demo created$' -- kubectl apply -f deploy.yaml
expect "apply unchanged" '^deployment.apps/demo unchanged$' -- kubectl apply -f deploy.yaml
sed -i 's/nginx:1.26/nginx:1.27/' deploy.yaml
expect "apply configures" '^deployment.apps/demo configured$' -- kubectl apply -f deploy.yaml
expect_eq "apply changed the image" 'nginx:1.27' -- kubectl get deploy demo -o 'jsonpath={.spec.template.spec.containers[0].image}'
expect_eq "generation bumped by spec change" '2' -- kubectl get deploy demo -o 'jsonpath={.metadata.generation}'
expect "deployment defaults" 'maxSurge: 25%' -- kubectl get deploy demo -o yaml
expect "deployment revisionHistoryLimit" 'revisionHistoryLimit: 10' -- kubectl get deploy demo -o yaml
expect "get deploy table" '^demo +[0-9]/2 +[0-9] +0 +[0-9]+s$' -- kubectl get deploy --no-headers
expect "scale" '^deployment.apps/demo scaled$' -- kubectl scale deployment demo --replicas=3
expect_eq "scale changed replicas" '3' -- kubectl get deploy demo -o 'jsonpath={.spec.replicas}'
expect "wait on a jsonpath" 'condition met' -- kubectl wait --for=jsonpath='{.spec.replicas}'=3 deployment/demo --timeout=10s
expect "patch merge" '^deployment.apps/demo patched$' -- kubectl patch deployment demo --type=merge -p '{"spec":{"minReadySeconds":5}}'
expect "patch json" '^deployment.apps/demo patched$' -- kubectl patch deployment demo --type=json -p '[{"op":"replace","path":"/spec/minReadySeconds","value":7}]'
expect "patch strategic" '^deployment.apps/demo patched$' -- kubectl patch deployment demo -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"1"}]}]}}}}'
expect_eq "strategic patch merged by name" 'nginx:1.27 A' -- kubectl get deploy demo -o 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name}'
expect_fail "json patch that does not apply" 'invalid.*doc is missing path' -- kubectl patch deployment demo --type=json -p '[{"op":"replace","path":"/spec/nope/x","value":1}]'
expect "rollout restart" 'restarted' -- kubectl rollout restart deployment/demo
expect "set image" 'image updated' -- kubectl set image deployment/demo app=nginx:1.28

# replace and edit on an object no controller writes to, so the resourceVersion read is still current when it is sent.
kubectl create configmap settings --from-literal=level=7 >/dev/null
kubectl get configmap settings -o yaml >replace.yaml
sed -i 's/level: "7"/level: "9"/' replace.yaml
expect "replace" '^configmap/settings replaced$' -- kubectl replace -f replace.yaml
expect_fail "replace with the old resourceVersion conflicts" 'Conflict|modified' -- kubectl replace -f replace.yaml

cat >editor.sh <<'SH'
#!/bin/sh
sed -i 's/level: "9"/level: "11"/' "$1"
SH
chmod +x editor.sh
expect "edit with a scripted editor" '^configmap/settings edited$' -- env KUBE_EDITOR="$PWD/editor.sh" kubectl edit configmap settings
expect_eq "edit applied" '11' -- kubectl get configmap settings -o 'jsonpath={.data.level}'

expect "server-side apply creates" 'serverside-applied' -- kubectl apply --server-side -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"1"}}'
expect "server-side apply updates" 'serverside-applied' -- kubectl apply --server-side -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"2","b":"3"}}'
expect_eq "server-side apply merged" '2 3' -- kubectl get cm ssa -o 'jsonpath={.data.a} {.data.b}'
expect "managedFields record the manager" 'manager: kubectl' -- kubectl get cm ssa -o yaml --show-managed-fields
kubectl patch cm ssa --type=merge -p '{"data":{"a":"9"}}' >/dev/null
expect_fail "server-side apply conflicts with another manager" 'conflict' -- kubectl apply --server-side -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"2","b":"3"}}'
expect "server-side apply --force-conflicts" 'serverside-applied' -- kubectl apply --server-side --force-conflicts -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"2","b":"3"}}'

mkdir -p kz
cat >kz/kustomization.yaml <<'YAML'
configMapGenerator:
- name: kz-gen
  literals:
  - greeting=hello
YAML
expect "apply -k" 'configmap/kz-gen-[a-z0-9]+ created' -- kubectl apply -k kz

expect "create deployment --dry-run=server" 'deployment.apps/dry created \(server dry run\)' -- kubectl create deployment dry --image=nginx --dry-run=server
expect_fail "server dry run stored nothing" 'NotFound' -- kubectl get deployment dry
expect "delete --dry-run=server" 'pod "web" deleted \(server dry run\)' -- kubectl delete pod web --dry-run=server
expect "pod survives a dry-run delete" '^pod/web$' -- kubectl get pod web -o name

expect "describe pod" 'Image: +nginx:1\.27' -- kubectl describe pod web
expect "describe deployment" 'StrategyType: +RollingUpdate' -- kubectl describe deployment demo
expect "explain pods" 'KIND: +Pod' -- kubectl explain pods
expect "explain nested field" 'FIELD: +containers' -- kubectl explain deployment.spec.template.spec.containers

expect "auth whoami" 'admin' -- kubectl auth whoami
expect "auth whoami groups" 'system:masters' -- kubectl auth whoami
expect_eq "auth can-i" 'yes' -- kubectl auth can-i create pods
expect "auth can-i --list" '\*\.\*' -- kubectl auth can-i --list

expect "delete pod" '^pod "web" deleted$' -- kubectl delete pod web
expect_fail "deleted pod is gone" 'NotFound' -- kubectl get pod web
expect_fail "delete missing object" 'Error from server \(NotFound\): pods "web" not found' -- kubectl delete pod web
expect "delete deployment" 'deployment.apps "demo" deleted' -- kubectl delete deployment demo

# A `kind: List` file: kubectl asks /openapi/v2 about the List kind (no v3 document has it), then creates each item.
cat > list.yaml <<'YAML'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: listed-a
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: listed-b
YAML
expect "create -f of a List creates each item" 'configmap/listed-b created' -- kubectl create -f list.yaml
expect "both List items exist" 'listed-a.*listed-b|listed-b.*listed-a' -- bash -c 'kubectl get configmaps listed-a listed-b -o name | tr "\n" " "'
