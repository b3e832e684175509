# Every `kubectl create` generator (they send protobuf bodies), namespaces, watches and bad input.

expect "create namespace" '^namespace/team-a created$' -- kubectl create namespace team-a
expect "create deployment" '^deployment.apps/web created$' -- kubectl -n team-a create deployment web --image=nginx:1.27 --replicas=2
expect_eq "protobuf deployment kept its spec" '2 nginx:1.27' -- kubectl -n team-a get deploy web -o 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}'
expect "create configmap" '^configmap/cfg created$' -- kubectl -n team-a create configmap cfg --from-literal=a=1
expect_eq "configmap data" '1' -- kubectl -n team-a get cm cfg -o 'jsonpath={.data.a}'
expect "create secret generic" '^secret/s1 created$' -- kubectl -n team-a create secret generic s1 --from-literal=password=hunter2
expect_eq "secret data is base64" 'aHVudGVyMg==' -- kubectl -n team-a get secret s1 -o 'jsonpath={.data.password}'
expect "create secret docker-registry" '^secret/reg created$' -- kubectl -n team-a create secret docker-registry reg --docker-server=127.0.0.1:5000 --docker-username=u --docker-password=p
expect "create service clusterip" '^service/svc created$' -- kubectl -n team-a create service clusterip svc --tcp=80:8080
expect "service got a ClusterIP" '^svc +ClusterIP +10\.43\.[0-9]+\.[0-9]+ +<none> +80/TCP' -- kubectl -n team-a get svc svc --no-headers
expect "create service nodeport" '^service/np created$' -- kubectl -n team-a create service nodeport np --tcp=80:8080
expect "nodeport allocated" '80:3[0-9]{4}/TCP' -- kubectl -n team-a get svc np --no-headers
expect "create service loadbalancer" '^service/lb created$' -- kubectl -n team-a create service loadbalancer lb --tcp=443:8443
expect "create service externalname" '^service/ext created$' -- kubectl -n team-a create service externalname ext --external-name=example.com
expect "externalname service has no ClusterIP" '^ext +ExternalName +<none> +example.com' -- kubectl -n team-a get svc ext --no-headers
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=e2e -keyout tls.key -out tls.crt -days 1 >/dev/null 2>&1
expect "create secret tls" '^secret/tls created$' -- kubectl -n team-a create secret tls tls --cert=tls.crt --key=tls.key
expect_eq "tls secret type" 'kubernetes.io/tls' -- kubectl -n team-a get secret tls -o 'jsonpath={.type}'
expect "create serviceaccount" '^serviceaccount/robot created$' -- kubectl -n team-a create serviceaccount robot
expect "create job" '^job.batch/once created$' -- kubectl -n team-a create job once --image=busybox -- echo hi
expect "create cronjob" '^cronjob.batch/tick created$' -- kubectl -n team-a create cronjob tick --image=busybox --schedule='*/5 * * * *' -- echo hi
expect "create quota" '^resourcequota/q created$' -- kubectl -n team-a create quota q --hard=pods=10
expect "create role" '^role.rbac.authorization.k8s.io/reader created$' -- kubectl -n team-a create role reader --verb=get --resource=pods
expect "create rolebinding" '^rolebinding.rbac.authorization.k8s.io/reader created$' -- kubectl -n team-a create rolebinding reader --role=reader --user=alice
expect "create clusterrole" '^clusterrole.rbac.authorization.k8s.io/viewer created$' -- kubectl create clusterrole viewer --verb=get,list --resource=pods
expect "create clusterrolebinding" '^clusterrolebinding.rbac.authorization.k8s.io/viewer created$' -- kubectl create clusterrolebinding viewer --clusterrole=viewer --user=bob
expect "create priorityclass" '^priorityclass.scheduling.k8s.io/high created$' -- kubectl create priorityclass high --value=1000
expect "create poddisruptionbudget" '^poddisruptionbudget.policy/pdb created$' -- kubectl -n team-a create pdb pdb --selector=app=web --min-available=1
expect "create ingress" '^ingress.networking.k8s.io/ing created$' -- kubectl -n team-a create ingress ing --rule='example.com/=svc:80'
expect "autoscale" '^horizontalpodautoscaler.autoscaling/web autoscaled$' -- kubectl -n team-a autoscale deployment web --max=5 --cpu-percent=80
expect_eq "v1 HPA is stored once and read as v2" '80' -- kubectl -n team-a get hpa web -o 'jsonpath={.spec.metrics[0].resource.target.averageUtilization}'
expect "the same HPA read as autoscaling/v1" '"apiVersion":"autoscaling/v1".*"targetCPUUtilizationPercentage":80' -- kubectl get --raw /apis/autoscaling/v1/namespaces/team-a/horizontalpodautoscalers/web
expect "get --sort-by (includeObject=Object)" 'cfg' -- kubectl -n team-a get cm --sort-by=.metadata.name
expect "get -o wide services shows the selector column" 'SELECTOR' -- kubectl -n team-a get svc -o wide
expect "get all in a namespace" 'deployment.apps/web' -- kubectl -n team-a get all

expect_fail "create in a missing namespace" 'namespaces "nope" not found' -- kubectl -n nope create configmap x --from-literal=a=1
expect "list in a missing namespace is empty" 'No resources found in nope namespace' -- kubectl -n nope get pods
expect_fail "invalid name" 'is invalid' -- kubectl create configmap Bad_Name --from-literal=a=1
expect_fail "unknown field under strict validation" 'unknown field "spec.bogus"' -- kubectl create -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"bogus":1,"containers":[{"name":"a","image":"b"}]}}'
expect "unknown field with --validate=false is dropped" '^pod/x created$' -- kubectl create --validate=false -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"bogus":1,"containers":[{"name":"a","image":"b"}]}}'
expect_fail "missing containers is invalid" 'spec.containers: Required value' -- kubectl create -f - <<<'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"},"spec":{}}'
expect_fail "malformed body" 'error' -- kubectl create -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":'
expect_fail "deployment selector must match labels" 'selector. does not match template .labels' -- kubectl create -f - <<<'{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{"name":"a","image":"b"}]}}}}'
expect_fail "immutable service clusterIP" 'immutable|Invalid' -- kubectl -n team-a patch svc svc --type=merge -p '{"spec":{"clusterIP":"10.43.200.200","clusterIPs":["10.43.200.200"]}}'

# get -w prints the initial row and later changes.
kubectl -n team-a get cm cfg -w --output-watch-events >watch.out 2>&1 &
watch_pid=$!
for _ in $(seq 200); do grep -q ADDED watch.out 2>/dev/null && break; sleep 0.1; done
kubectl -n team-a label cm cfg tier=one >/dev/null
kubectl -n team-a label cm cfg tier=two --overwrite >/dev/null
for _ in $(seq 200); do [[ $(grep -c MODIFIED watch.out) -ge 2 ]] && break; sleep 0.1; done
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
if [[ $(grep -c 'MODIFIED' watch.out) -ge 2 ]] && grep -q 'ADDED' watch.out; then e2e_pass "get -w sees the object and both changes"; else e2e_fail "get -w sees the object and both changes" "$(cat watch.out)"; fi

# A configmap with a finalizer holds team-a in Terminating (the namespace controller would otherwise remove it at once), so
# the refusal to create in a terminating namespace is checked without a race; releasing it lets the namespace go.
cat >hold.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: hold, namespace: team-a, finalizers: ["example.com/hold"]}
YAML
expect "configmap with a finalizer" 'configmap/hold created' -- kubectl apply -f hold.yaml
expect "delete namespace marks it Terminating" 'namespace "team-a" deleted' -- kubectl delete namespace team-a --wait=false
expect "namespace is Terminating" 'Terminating' -- kubectl get namespace team-a
expect_fail "no create in a terminating namespace" 'configmaps "late" is forbidden: unable to create new content in namespace team-a because it is being terminated' -- kubectl -n team-a create configmap late --from-literal=a=1
expect "release the finalizer" 'patched' -- kubectl -n team-a patch configmap hold --type=merge -p '{"metadata":{"finalizers":null}}'
expect "deleted namespace disappears once empty" '^gone$' -- bash -c 'for _ in $(seq 120); do kubectl get namespace team-a >/dev/null 2>&1 || { echo gone; exit 0; }; sleep 0.5; done; exit 1'

# Authentication: anonymous, join token, service-account token.
server=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
as_token() { KUBECONFIG=/dev/null kubectl --server="$server" --certificate-authority="$SKIFF_DATA/tls/ca.crt" "$@"; }
expect "anonymous requests get a 401 Status" '"code":401' -- curl -s --cacert "$SKIFF_DATA/tls/ca.crt" "$server/api/v1/pods"
expect "anonymous requests may read /version" '"minor":"32"' -- curl -s --cacert "$SKIFF_DATA/tls/ca.crt" "$server/version"
expect_fail "a bad bearer token gets 401" 'Unauthorized' -- as_token --token=not-a-valid-token get pods
expect "the join token authenticates as a bootstrapper" 'system:bootstrappers' -- as_token --token="$(cat "$SKIFF_DATA/token")" auth whoami
expect_fail "a bootstrapper may not list pods" 'Forbidden.*cannot list resource "pods"' -- as_token --token="$(cat "$SKIFF_DATA/token")" get pods
kubectl create namespace sa-test >/dev/null
kubectl -n sa-test create serviceaccount robot >/dev/null
sa_token=$(kubectl -n sa-test create token robot)
expect "create token gives a service-account JWT that authenticates" 'system:serviceaccount:sa-test:robot' -- as_token --token="$sa_token" auth whoami
kubectl -n sa-test delete serviceaccount robot >/dev/null
expect_fail "the token stops working once its service account is gone" 'Unauthorized|provide credentials' -- as_token --token="$sa_token" auth whoami

# Events: core/v1 and events.k8s.io/v1 are one stored resource.
kubectl create -f - >/dev/null <<<'{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"ev1","namespace":"default"},"eventTime":"2026-01-01T00:00:00.000000Z","reportingController":"e2e","reportingInstance":"e2e-1","action":"Testing","reason":"Checked","type":"Normal","note":"hello from events.k8s.io","regarding":{"kind":"Pod","name":"web","namespace":"default","apiVersion":"v1"}}'
expect_eq "an events.k8s.io Event reads as core/v1" 'hello from events.k8s.io web' -- kubectl get events.v1. ev1 -o 'jsonpath={.message} {.involvedObject.name}'
expect "events are listed by kubectl get events" 'Checked +pod/web +hello from events.k8s.io' -- kubectl get events
expect "core field selectors find it" 'ev1' -- kubectl get events --field-selector involvedObject.name=web -o name

# Eviction honours PodDisruptionBudgets.
kubectl run guarded --image=nginx:1.27 --labels=app=guarded >/dev/null
kubectl run free --image=nginx:1.27 --labels=app=free >/dev/null
# As upstream, a Pending pod may be evicted whatever the budget says: play the kubelet so the guarded pod runs.
kubectl patch pod guarded --subresource=status --type=merge -p '{"status":{"phase":"Running","podIP":"10.42.0.250","conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
kubectl create pdb guard --selector=app=guarded --min-available=1 >/dev/null
echo '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"guarded","namespace":"default"}}' >evict-guarded.json
echo '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"free","namespace":"default"}}' >evict-free.json
expect_fail "eviction refused by a PodDisruptionBudget" 'disruption budget' -- kubectl create --raw /api/v1/namespaces/default/pods/guarded/eviction -f evict-guarded.json
expect "eviction of an unprotected pod" '"status":"Success"' -- kubectl create --raw /api/v1/namespaces/default/pods/free/eviction -f evict-free.json
expect_fail "the evicted pod is gone" 'NotFound' -- kubectl get pod free
