# e2e-agent: yes
# A pod's service-account token, as kubectl users meet it: the kubelet mounts a token bound to the pod; from inside the pod it
# authenticates as system:serviceaccount:<ns>:default against https://kubernetes.default.svc (with kubectl in the pod: busybox
# 1.35's wget sends no TLS signature_algorithms, so it falls back to SHA-1 signatures, which OpenSSL 3 servers refuse);
# TokenReview vouches for it and names the pod; once the pod is deleted, the same token copied out earlier is refused (401).
# Bad input: a TokenRequest bound to another pod uid or a missing pod, an expiry under ten minutes, and a token asked for
# another audience. Traffic goes only to loopback, pod IPs and ClusterIPs.

REG=127.0.0.1:5000
NS=token-demo
SA=/var/run/secrets/kubernetes.io/serviceaccount

# as_token TOKEN ARGS...: kubectl with nothing but that bearer token (the admin kubeconfig's client certificate would win).
server="$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')"
kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >cluster-ca.crt
as_token() { kubectl --kubeconfig=/dev/null --server="$server" --certificate-authority=cluster-ca.crt --token="$1" "${@:2}"; }

eventually "the embedded agent's node turns Ready" 90 -- kubectl wait node --all --for=condition=Ready --timeout=2s
kubectl create namespace $NS >/dev/null
eventually "the namespace gets its default service account" 30 -- kubectl -n $NS get serviceaccount default
# The client pod runs this host's kubectl (a static binary, mounted by hostPath), as in-cluster tools do.
kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: $NS}
spec:
  containers:
  - name: client
    image: $REG/skiff/shell:1
    volumeMounts: [{name: kubectl, mountPath: /usr/local/bin/kubectl, readOnly: true}]
  volumes: [{name: kubectl, hostPath: {path: "$(readlink -f "$(command -v kubectl)")", type: File}}]
EOF
eventually "the client pod is Ready" 90 -- kubectl -n $NS wait pod/client --for=condition=Ready --timeout=2s
uid="$(kubectl -n $NS get pod client -o jsonpath='{.metadata.uid}')"

token="$(kubectl -n $NS exec client -- cat $SA/token)"
claims="$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | base64 -d 2>/dev/null; echo)"
expect "the mounted token is bound to the pod (kubernetes.io.pod.uid)" "\"pod\":\\{\"name\":\"client\",\"uid\":\"$uid\"\\}" -- echo "$claims"
expect "the mounted token has a jti and the API server's audience" '"aud":\["https://kubernetes.default.svc.cluster.local"\].*"jti":"[0-9a-f-]{36}"' -- echo "$claims"

expect_eq "from inside the pod, the mounted token authenticates as the namespace's default service account" \
  "system:serviceaccount:$NS:default" -- \
  kubectl -n $NS exec client -- sh -c "timeout 20 kubectl --server https://kubernetes.default.svc --certificate-authority $SA/ca.crt \
    --token \"\$(cat $SA/token)\" auth whoami -o jsonpath='{.status.userInfo.username}'"
expect "kubectl --token: auth whoami shows the service account and its pod" \
  "system:serviceaccount:$NS:default.*authentication.kubernetes.io/pod-name.*client" -- \
  sh -c "kubectl --kubeconfig=/dev/null --server='$server' --certificate-authority=cluster-ca.crt --token='$token' auth whoami -o json | tr -d ' \n'"

kubectl create -f - -o json >review.json <<EOF
{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"$token"}}
EOF
expect "TokenReview: authenticated, with the pod's name and uid and a credential id in extra" \
  "\"authenticated\":true.*\"authentication.kubernetes.io/pod-uid\":\\[\"$uid\"\\]" -- sh -c "tr -d ' \n' <review.json"

# Bad input at TokenRequest.
expect_fail "a TokenRequest bound to another uid of the pod is a conflict" \
  'Operation cannot be fulfilled on Pod "client": the UID in the bound object reference \(0000\) does not match' -- \
  kubectl -n $NS create token default --bound-object-kind Pod --bound-object-name client --bound-object-uid 0000
expect_fail "a TokenRequest bound to a missing pod is NotFound" 'pods "ghost" not found' -- \
  kubectl -n $NS create token default --bound-object-kind Pod --bound-object-name ghost
expect_fail "a token shorter than ten minutes is refused" 'may not specify a duration less than 10 minutes' -- \
  kubectl -n $NS create token default --duration 5m
vault="$(kubectl -n $NS create token default --audience vault)"
expect_fail "a token for another audience does not authenticate to the API server" 'Unauthorized' -- \
  as_token "$vault" auth whoami

# The pod goes; the token copied out goes with it.
kubectl -n $NS delete pod client --wait=true --timeout=90s >/dev/null
expect_fail "after the pod is deleted, its token is refused (401)" 'Unauthorized' -- as_token "$token" auth whoami
kubectl create -f - -o json >review.json <<EOF
{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"$token"}}
EOF
expect "TokenReview of the deleted pod's token: not authenticated, invalidated" \
  '"authenticated": false,[[:space:]]*"error": "\[invalid bearer token, service account token has been invalidated\]"' -- \
  sh -c "tr -d '\n' <review.json"
