# Audit log and Secrets encrypted at rest, on a real server restarted with new flags over the same data directory:
# a Secret's value never reaches the SQLite file in plaintext (aescbc), reads back through kubectl, a policy writes
# upstream's audit Events as JSON lines (levels per rule, 404 recorded with its code, Audit-ID sent back), a key rotation
# is done by the server itself at startup (key2 first: every stored Secret ends up under key2), a configuration missing
# the key refuses the read naming the key, and identity first stores plaintext again.

port="$(sed -n 's#.*server: https://[^:]*:\([0-9]*\).*#\1#p' "$KUBECONFIG" | head -1)"
db="$SKIFF_DATA/db/state.db"
key1="$(head -c 32 /dev/urandom | base64)"
key2="$(head -c 32 /dev/urandom | base64)"
key3="$(head -c 32 /dev/urandom | base64)"

# restart FLAGS...: stops this scenario's server and starts it again on the same data directory and port.
restart() {
  e2e_stop_server_process
  "$SKIFF_BIN" server --data-dir "$SKIFF_DATA" --bind-address 127.0.0.1 --secure-port "$port" --disable-agent "$@" \
    >>"$SKIFF_DATA/server.log" 2>&1 &
  SKIFF_PID=$!
  for _ in $(seq 300); do
    kubectl get --raw /readyz >/dev/null 2>&1 && kubectl get ns default >/dev/null 2>&1 && return 0
    kill -0 "$SKIFF_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "skiff server did not come back; its log:" >&2
  tail -20 "$SKIFF_DATA/server.log" >&2
  return 1
}

# encryption FILE PROVIDER...: writes an EncryptionConfiguration for secrets with the providers given as YAML flow items.
encryption() {
  local file=$1
  shift
  { printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n'
    printf '  - %s\n' "$@"; } >"$file"
}
aescbc() { printf '{aescbc: {keys: [{name: %s, secret: "%s"}]}}' "$1" "$2"; }

# A Secret written before encryption is switched on.
kubectl create secret generic before --from-literal=password=e2e-written-in-plaintext >/dev/null

cat >"$SKIFF_DATA/policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/readyz", "/api*"]
- level: None
  users: [system:kube-controller-manager, system:kube-scheduler, system:apiserver]
- level: RequestResponse
  resources:
  - group: ""
    resources: [configmaps]
- level: Metadata
  resources:
  - group: ""
    resources: [secrets]
YAML
encryption "$SKIFF_DATA/enc1.yaml" "$(aescbc key1 "$key1")" "identity: {}"
expect_fail "a bad EncryptionConfiguration is refused at start, naming the field" 'resources\[0\]\.providers\[0\]\.aesgcm\.keys\[0\]\.secret' -- \
  timeout 20 sh -c "printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2hvcnQ=}]}\n' >'$SKIFF_DATA/bad.yaml'; '$SKIFF_BIN' server --data-dir '$SKIFF_DATA' --disable-agent --encryption-provider-config '$SKIFF_DATA/bad.yaml'"
restart --encryption-provider-config "$SKIFF_DATA/enc1.yaml" \
  --audit-policy-file "$SKIFF_DATA/policy.yaml" --audit-log-path "$SKIFF_DATA/audit/audit.log"

kubectl create secret generic s1 --from-literal=password=e2e-secret-value-4711 >/dev/null
kubectl create configmap c1 --from-literal=color=blue >/dev/null
expect_eq "the Secret reads back through kubectl" "e2e-secret-value-4711" -- sh -c "kubectl get secret s1 -o jsonpath='{.data.password}' | base64 -d"
if cat "$db"* | grep -qa -e 'e2e-secret-value-4711' -e "$(printf e2e-secret-value-4711 | base64)"; then
  e2e_fail "the SQLite file holds neither the Secret's value nor its base64"
else
  e2e_pass "the SQLite file holds neither the Secret's value nor its base64"
fi
expect "the SQLite file holds the aescbc key1 prefix" 'k8s:enc:aescbc:v1:key1:' -- sh -c "cat '$db'* | grep -ao 'k8s:enc:aescbc:v1:key1:' | head -1"
eventually "the plaintext Secret from before is rewritten with key1 at startup" 20 -- \
  sh -c "sqlite3 -readonly '$db' \"SELECT substr(CAST(l.value AS TEXT),1,23) FROM current c JOIN log l ON l.id=c.id WHERE c.key='/core/secrets/default/before'\" | grep -q 'k8s:enc:aescbc:v1:key1:'"
expect_eq "the rewritten Secret reads back" "e2e-written-in-plaintext" -- sh -c "kubectl get secret before -o jsonpath='{.data.password}' | base64 -d"
expect "kubectl's secret list works through the encrypted store" 'before.*s1|s1.*before' -- sh -c "kubectl get secrets -o name | tr '\n' ' '"

# Audit.
kubectl get secret missing >/dev/null 2>&1
expect "responses carry an Audit-ID header" 'Audit-Id: [0-9a-f-]{36}' -- kubectl get secret s1 -v=8
eventually "the Secret's create is audited at Metadata" 10 -- \
  sh -c "grep '\"verb\":\"create\"' '$SKIFF_DATA/audit/audit.log' | grep '\"resource\":\"secrets\"' | grep '\"name\":\"s1\"' | grep -q '\"level\":\"Metadata\"'"
expect_eq "no audit event holds the Secret's data (Metadata level: no bodies)" "0" -- sh -c "grep -c 'ZTJlLXNlY3JldC12YWx1ZS00NzEx' '$SKIFF_DATA/audit/audit.log'"
expect "the ConfigMap's create is audited at RequestResponse with both bodies" '"requestObject":\{.*"color":"blue".*"responseObject":\{.*"uid"' -- \
  sh -c "grep '\"verb\":\"create\"' '$SKIFF_DATA/audit/audit.log' | grep '\"resource\":\"configmaps\"'"
expect "a get of a missing Secret is audited with 404" '"responseStatus":\{"metadata":\{\},"status":"Failure","message":"secrets \\"missing\\" not found","reason":"NotFound","code":404\}' -- \
  sh -c "grep '\"name\":\"missing\"' '$SKIFF_DATA/audit/audit.log'"
timeout 3 kubectl get secrets --watch >/dev/null 2>&1
eventually "a watch is audited at ResponseStarted" 10 -- \
  sh -c "grep '\"stage\":\"ResponseStarted\"' '$SKIFF_DATA/audit/audit.log' | grep -q '\"verb\":\"watch\"'"
expect_eq "RequestReceived is omitted as the policy says" "0" -- sh -c "grep -c '\"stage\":\"RequestReceived\"' '$SKIFF_DATA/audit/audit.log'"
expect_eq "the controllers' requests are at level None" "0" -- sh -c "grep -c 'system:kube-controller-manager' '$SKIFF_DATA/audit/audit.log'"

# Rotation: key2 first, key1 still listed to read what key1 wrote.
encryption "$SKIFF_DATA/enc2.yaml" "$(aescbc key2 "$key2")" "$(aescbc key1 "$key1")"
restart --encryption-provider-config "$SKIFF_DATA/enc2.yaml"
eventually "after the restart every stored Secret carries key2's prefix" 20 -- \
  sh -c "[ -n \"\$(sqlite3 -readonly '$db' \"SELECT 1 FROM current c WHERE c.key LIKE '/core/secrets/%'\")\" ] && ! sqlite3 -readonly '$db' \"SELECT substr(CAST(l.value AS TEXT),1,23) FROM current c JOIN log l ON l.id=c.id WHERE c.key LIKE '/core/secrets/%' AND l.deleted=0\" | grep -qv 'k8s:enc:aescbc:v1:key2:'"
expect "the server logged the rewrite count" 'rewrote 2 stored values with the current write key' -- cat "$SKIFF_DATA/server.log"
expect_eq "s1 reads back after rotation" "e2e-secret-value-4711" -- sh -c "kubectl get secret s1 -o jsonpath='{.data.password}' | base64 -d"
expect "the manual way (get | replace) still works" 'secret/s1 replaced' -- sh -c "kubectl get secret s1 -o json | kubectl replace -f -"

# A configuration without the key that wrote the values refuses to read them, naming the key.
encryption "$SKIFF_DATA/enc3.yaml" "$(aescbc key3 "$key3")"
restart --encryption-provider-config "$SKIFF_DATA/enc3.yaml"
expect_fail "a Secret under a key the configuration lacks is refused, naming the key" 'InternalError.*/core/secrets/default/s1.*k8s:enc:aescbc:v1:key2:' -- kubectl get secret s1

# identity first: back to plaintext.
encryption "$SKIFF_DATA/enc4.yaml" "identity: {}" "$(aescbc key2 "$key2")"
restart --encryption-provider-config "$SKIFF_DATA/enc4.yaml"
eventually "identity first: every stored Secret is plaintext JSON again" 20 -- \
  sh -c "! sqlite3 -readonly '$db' \"SELECT substr(CAST(l.value AS TEXT),1,1) FROM current c JOIN log l ON l.id=c.id WHERE c.key LIKE '/core/secrets/%' AND l.deleted=0\" | grep -qv '{'"
expect_eq "s1 reads back as plaintext" "e2e-secret-value-4711" -- sh -c "kubectl get secret s1 -o jsonpath='{.data.password}' | base64 -d"

# This scenario restarted the server itself: stop it here (run.sh knows only the first PID).
e2e_stop_server_process
