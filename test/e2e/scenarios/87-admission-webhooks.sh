# Admission webhooks through kubectl: a test webhook (Python, HTTPS on loopback, certificate from a CA made here) is
# reached by URL; it patches labelled pods, refuses pods labelled deny, and never answers on /slow. kubectl shows the
# webhook's warnings, its refusal, upstream's "failed calling webhook" text, and dry-run behaviour.

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=e2e-webhook-ca >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj /CN=127.0.0.1 >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >san.ext
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 1 -extfile san.ext >/dev/null 2>&1
hook_port="$(e2e_free_port)"
cat >webhook.py <<'PY'
import base64, json, ssl, sys, time
from http.server import HTTPServer, BaseHTTPRequestHandler
class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        request = review["request"]
        response = {"uid": request["uid"], "allowed": True}
        labels = (request.get("object") or {}).get("metadata", {}).get("labels") or {}
        if self.path.startswith("/slow"):
            time.sleep(3)
        if self.path.startswith("/mutate") and labels.get("inject") == "yes":
            patch = [{"op": "add", "path": "/metadata/labels/injected", "value": "dry" if request["dryRun"] else "yes"}]
            response.update(patchType="JSONPatch", patch=base64.b64encode(json.dumps(patch).encode()).decode(), warnings=["injected by e2e webhook"])
        if self.path.startswith("/validate") and labels.get("deny") == "yes":
            response.update(allowed=False, status={"code": 403, "message": "pods labelled deny are not welcome"})
        body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Hook)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("tls.crt", "tls.key")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PY
python3 webhook.py "$hook_port" >webhook.log 2>&1 &
hook_pid=$!
ca_bundle="$(base64 -w0 ca.crt)"

webhook() { # NAME PATH EXTRA-YAML-LINES: one webhook entry for pods in namespaces labelled e2e-webhooks=on
  printf -- '- name: %s\n  clientConfig:\n    url: https://127.0.0.1:%s%s\n    caBundle: %s\n' "$1" "$hook_port" "$2" "$ca_bundle"
  printf '  rules:\n  - {operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"]}\n'
  printf '  namespaceSelector: {matchLabels: {e2e-webhooks: "on"}}\n  admissionReviewVersions: ["v1"]\n%s\n' "$3"
}
{ printf 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: e2e-mutate\nwebhooks:\n'
  webhook inject.e2e.skiff.test /mutate '  sideEffects: NoneOnDryRun'; } >mutating.yaml
{ printf 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: e2e-validate\nwebhooks:\n'
  webhook deny.e2e.skiff.test /validate '  sideEffects: None'; } >validating.yaml

expect "create the mutating configuration" 'mutatingwebhookconfiguration.admissionregistration.k8s.io/e2e-mutate created' -- kubectl apply -f mutating.yaml
expect "create the validating configuration" 'validatingwebhookconfiguration.admissionregistration.k8s.io/e2e-validate created' -- kubectl apply -f validating.yaml
expect_eq "defaults are filled in" 'Fail Equivalent 10 Never' -- kubectl get mutatingwebhookconfiguration e2e-mutate -o 'jsonpath={.webhooks[0].failurePolicy} {.webhooks[0].matchPolicy} {.webhooks[0].timeoutSeconds} {.webhooks[0].reinvocationPolicy}'
expect "create a namespace the webhooks select" 'namespace/t-hooks labeled' -- sh -c 'kubectl create namespace t-hooks >/dev/null && kubectl label namespace t-hooks e2e-webhooks=on'
kubectl create namespace t-plain >/dev/null

expect "a labelled pod is patched and the webhook's warning shown" 'Warning: injected by e2e webhook' -- kubectl -n t-hooks run web --image=nginx:1.27 --labels=inject=yes
expect_eq "the patch is stored" 'yes' -- kubectl -n t-hooks get pod web -o 'jsonpath={.metadata.labels.injected}'
expect "a pod in an unselected namespace is not sent" '^pod/web created$' -- kubectl -n t-plain run web --image=nginx:1.27 --labels=inject=yes
expect_eq "and stays unpatched" '' -- kubectl -n t-plain get pod web -o 'jsonpath={.metadata.labels.injected}'
# The webhook's status has no reason, so kubectl prints no reason in parentheses (upstream's ToStatusErr keeps it as given).
expect_fail "the validating webhook refuses with its message" 'Error from server: admission webhook "deny.e2e.skiff.test" denied the request: pods labelled deny are not welcome' -- kubectl -n t-hooks run bad --image=nginx:1.27 --labels=deny=yes
expect "server dry run reaches NoneOnDryRun webhooks with dryRun true" 'injected: dry' -- kubectl -n t-hooks run dry --image=nginx:1.27 --labels=inject=yes --dry-run=server -o yaml
expect_fail "and stores nothing" 'NotFound' -- kubectl -n t-hooks get pod dry

expect_fail "a webhook without sideEffects is refused" 'webhooks\[0\]\.sideEffects: Required value: must specify one of None, NoneOnDryRun' -- sh -c "sed '/sideEffects/d; s/e2e-validate/e2e-broken/' validating.yaml | kubectl apply -f -"
expect_fail "an http URL is refused" "webhooks\[0\]\.clientConfig\.url: Invalid value: \"http\": 'https' is the only allowed URL scheme" -- sh -c "sed 's#https://#http://#; s/e2e-validate/e2e-broken/' validating.yaml | kubectl apply -f -"

{ printf 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: e2e-slow\nwebhooks:\n'
  webhook slow.e2e.skiff.test /slow '  sideEffects: None
  timeoutSeconds: 1'; } >slow.yaml
expect "create a webhook that answers too late" 'created' -- kubectl apply -f slow.yaml
expect_fail "failurePolicy Fail refuses after the timeout" "Internal error occurred: failed calling webhook \"slow.e2e.skiff.test\": failed to call webhook: Post \"https://127.0.0.1:$hook_port/slow\?timeout=1s\": context deadline exceeded" -- kubectl -n t-hooks run late --image=nginx:1.27
expect "failurePolicy Ignore lets the pod through" '^pod/late created$' -- sh -c "sed 's/timeoutSeconds: 1/timeoutSeconds: 1\n  failurePolicy: Ignore/' slow.yaml | kubectl apply -f - >/dev/null && sleep 1 && kubectl -n t-hooks run late --image=nginx:1.27"

kill "$hook_pid" 2>/dev/null
wait "$hook_pid" 2>/dev/null
