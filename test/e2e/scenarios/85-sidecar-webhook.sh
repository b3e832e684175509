# e2e-agent: yes
# The sidecar use case: a mutating admission webhook deployed in the cluster (skiff/sidecar-injector, a pod behind a Service,
# serving HTTPS with a certificate for sidecar-injector.<ns>.svc from a CA made here) injects a sidecar container into pods
# labelled inject-sidecar=true; unlabelled pods are left alone; a webhook whose Service has no endpoints refuses pods under
# failurePolicy Fail and lets them through under Ignore. First the injector binary itself is checked on loopback (curl, the
# AdmissionReview it answers, its JSONPatch, keep-alive and a request that arrives in pieces), so a failure there is told
# apart from one in the API server's webhook dispatcher. Traffic goes only to loopback and pod IPs.

REG=127.0.0.1:5000
NS=sidecar-demo
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/scripts/images/sidecar-injector.c"

# A CA and a serving certificate for the Service's name (and 127.0.0.1, for the loopback check).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj "/CN=sidecar-injector-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj "/CN=sidecar-injector.$NS.svc" 2>/dev/null
printf 'subjectAltName=DNS:sidecar-injector.%s.svc,DNS:sidecar-injector.%s.svc.cluster.local,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
  "$NS" "$NS" >san.cnf
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 1 -extfile san.cnf 2>/dev/null

# --- 1. the injector on loopback, with curl ---------------------------------------------------------------------------------
cat >review.json <<'EOF'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"operation":"CREATE",
 "namespace":"demo","object":{"metadata":{"name":"p","labels":{"inject-sidecar":"true"}},
 "spec":{"containers":[{"name":"app","image":"x","args":["a \"quoted\" {arg}",{"n":[1,2.5e3,true,null]}]}]}}}}
EOF
sed 's/"name":"app"/"name":"skiff-sidecar"/' review.json >injected.json
expect "the injector builds as a static binary against OpenSSL" 'statically linked' -- \
  sh -c "gcc -static -O2 -o injector '$SRC' -lssl -lcrypto 2>/dev/null && file injector"
port="$(e2e_free_port)"
./injector -c tls.crt -k tls.key -l 127.0.0.1 -p "$port" -i $REG/skiff/shell:1 2>injector.log &
injector_pid=$!
url="https://sidecar-injector.$NS.svc:$port"
curl_injector() { curl -sS --max-time 5 --cacert ca.crt --resolve "sidecar-injector.$NS.svc:$port:127.0.0.1" "$@"; }
eventually "the injector answers /healthz over TLS checked against the CA" 10 -- curl_injector -f "$url/healthz"
curl_injector -H 'Content-Type: application/json' --data-binary @review.json "$url/mutate" >answer.json 2>&1
expect "the injector allows the pod with a JSONPatch that appends the sidecar" '^ok$' -- python3 - answer.json <<'EOF'
import base64, json, sys
review = json.load(open(sys.argv[1]))
r = review["response"]
assert review["apiVersion"] == "admission.k8s.io/v1" and review["kind"] == "AdmissionReview", review
assert r["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002" and r["allowed"] is True and r["patchType"] == "JSONPatch", r
patch = json.loads(base64.b64decode(r["patch"], validate=True))
assert isinstance(patch, list) and len(patch) == 1, patch
op = patch[0]
assert op["op"] == "add" and op["path"] == "/spec/containers/-", op
assert op["value"]["name"] == "skiff-sidecar" and op["value"]["image"] == "127.0.0.1:5000/skiff/shell:1", op
assert op["value"]["command"][0] == "sh", op
print("ok")
EOF
expect "a pod that already has the sidecar is allowed without a patch" '^\{[^}]*"response":\{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","allowed":true\}\}$' -- \
  curl_injector -H 'Content-Type: application/json' --data-binary @injected.json "$url/mutate"
expect "two requests, the second chunked, share one kept-alive connection" 'Re-using existing connection' -- \
  sh -c "curl -sS -v --max-time 5 --cacert ca.crt --resolve 'sidecar-injector.$NS.svc:$port:127.0.0.1' '$url/healthz' '$url/mutate' \
    -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary @review.json 2>&1 | grep -E 'Re-using|skiff-sidecar|patch'"
expect "a request whose head and body arrive in pieces is answered" '"allowed":true,"patchType":"JSONPatch"' -- python3 - "$port" <<'EOF'
import socket, ssl, sys, time
body = open("review.json", "rb").read()
head = b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
ctx = ssl.create_default_context(cafile="ca.crt")
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as raw:
    with ctx.wrap_socket(raw, server_hostname="sidecar-injector.sidecar-demo.svc") as s:
        data = head + body
        for i in range(0, len(data), 37):
            s.sendall(data[i:i + 37])
            time.sleep(0.01)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
print(answer.decode())
EOF
expect "anything but POST /mutate and /healthz is refused" '^404 405$' -- \
  sh -c "echo \$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt --resolve 'sidecar-injector.$NS.svc:$port:127.0.0.1' '$url/other') \
    \$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt --resolve 'sidecar-injector.$NS.svc:$port:127.0.0.1' '$url/mutate')"
kill -TERM "$injector_pid" 2>/dev/null
wait "$injector_pid" 2>/dev/null

# --- 2. the injector in the cluster, behind a Service -----------------------------------------------------------------------
eventually "the embedded agent's node turns Ready" 90 -- kubectl wait node --all --for=condition=Ready --timeout=2s
kubectl create namespace $NS >/dev/null
kubectl -n $NS create secret tls sidecar-injector-tls --cert=tls.crt --key=tls.key >/dev/null
kubectl apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: sidecar-injector, namespace: $NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: sidecar-injector}}
  template:
    metadata: {labels: {app: sidecar-injector}}
    spec:
      containers:
      - name: injector
        image: $REG/skiff/sidecar-injector:1
        args: ["-c", "/tls/tls.crt", "-k", "/tls/tls.key", "-p", "8443", "-i", "$REG/skiff/shell:1"]
        ports: [{containerPort: 8443, name: https}]
        readinessProbe: {httpGet: {scheme: HTTPS, path: /healthz, port: https}, periodSeconds: 2}
        volumeMounts: [{name: tls, mountPath: /tls, readOnly: true}]
      volumes: [{name: tls, secret: {secretName: sidecar-injector-tls}}]
---
apiVersion: v1
kind: Service
metadata: {name: sidecar-injector, namespace: $NS}
spec:
  selector: {app: sidecar-injector}
  ports: [{port: 443, targetPort: https}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody, namespace: $NS}
spec:
  selector: {app: nothing-has-this-label}
  ports: [{port: 443, targetPort: 8443}]
EOF
expect "the injector Deployment rolls out" 'successfully rolled out' -- kubectl -n $NS rollout status deployment/sidecar-injector --timeout=180s
eventually "the injector's Service has a ready endpoint" 60 -- \
  sh -c "kubectl -n $NS get endpoints sidecar-injector -o jsonpath='{.subsets[*].addresses[*].ip}' | grep -Eq '^[0-9.]+$'"

# webhook NAME SERVICE LABEL FAILURE-POLICY: a MutatingWebhookConfiguration for pod CREATEs carrying LABEL=true.
webhook() {
  kubectl apply -f - <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: $1}
webhooks:
- name: $1.skiff.example.com
  clientConfig:
    service: {name: $2, namespace: $NS, path: /mutate, port: 443}
    caBundle: $(base64 -w0 ca.crt)
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  objectSelector: {matchLabels: {$3: "true"}}
  sideEffects: None
  admissionReviewVersions: [v1]
  failurePolicy: $4
  timeoutSeconds: 5
EOF
}
expect "the sidecar webhook is registered" 'created' -- webhook sidecar-injector sidecar-injector inject-sidecar Fail
# The API server picks configurations up from its watch: a server-side dry run (sideEffects None) shows when it has.
eventually "the webhook takes effect (a server-side dry run of a labelled pod gets the sidecar)" 30 -- \
  sh -c "kubectl -n $NS run probe --image=$REG/skiff/shell:1 --labels=inject-sidecar=true --dry-run=server \
    -o jsonpath='{.spec.containers[*].name}' | grep -qw skiff-sidecar"

expect "a labelled pod is admitted" 'created' -- kubectl -n $NS run labelled --image=$REG/skiff/shell:1 --labels=inject-sidecar=true
expect_eq "the labelled pod has the injected sidecar" "labelled skiff-sidecar" -- \
  kubectl -n $NS get pod labelled -o jsonpath='{.spec.containers[*].name}'
eventually "both containers of the labelled pod run (2/2 Running)" 120 -- \
  sh -c "kubectl -n $NS get pod labelled --no-headers | awk '\$2 == \"2/2\" && \$3 == \"Running\" { ok = 1 } END { exit !ok }'"
expect "an unlabelled pod is admitted" 'created' -- kubectl -n $NS run plain --image=$REG/skiff/shell:1
expect_eq "the unlabelled pod keeps its one container" "plain" -- kubectl -n $NS get pod plain -o jsonpath='{.spec.containers[*].name}'

# --- 3. failurePolicy when the webhook cannot be reached --------------------------------------------------------------------
webhook unreachable-fail nobody fail-closed Fail >/dev/null
webhook unreachable-ignore nobody fail-open Ignore >/dev/null
eventually "the unreachable webhooks take effect (a server-side dry run is refused)" 30 -- \
  sh -c "kubectl -n $NS run probe --image=$REG/skiff/shell:1 --labels=fail-closed=true --dry-run=server 2>&1 | grep -q 'failed calling webhook'"
expect_fail "failurePolicy Fail: a pod for a webhook without endpoints is refused, naming the webhook" \
  'failed calling webhook "unreachable-fail\.skiff\.example\.com"' -- \
  kubectl -n $NS run refused --image=$REG/skiff/shell:1 --labels=fail-closed=true
expect_fail "the refused pod does not exist" 'NotFound|not found' -- kubectl -n $NS get pod refused
expect "failurePolicy Ignore: the pod is admitted unchanged" 'created' -- \
  kubectl -n $NS run admitted --image=$REG/skiff/shell:1 --labels=fail-open=true
expect_eq "the pod admitted past the unreachable webhook has one container" "admitted" -- \
  kubectl -n $NS get pod admitted -o jsonpath='{.spec.containers[*].name}'

kubectl delete mutatingwebhookconfiguration sidecar-injector unreachable-fail unreachable-ignore >/dev/null 2>&1
