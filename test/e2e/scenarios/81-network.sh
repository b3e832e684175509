# e2e-agent: yes
# e2e-server-args: --cluster-cidr 10.244.0.0/16 --service-cidr 10.96.0.0/16 --cluster-dns 10.96.0.10 --service-lb-pool 198.51.100.240/29
# Pod network, Service proxy, cluster DNS and NetworkPolicy on the node embedded in `skiff server` (this host): a Deployment
# behind a ClusterIP, headless, NodePort and LoadBalancer Service, pods that find it by name, a policy that denies and then
# allows, and, once the server stops, no iptables chain, VXLAN device or pod route left on the host.
# Non-default CIDRs show that --cluster-cidr, --service-cidr and --cluster-dns reach every part. Traffic goes only to
# loopback, this host's own address, pod IPs and ClusterIPs; the LoadBalancer address (a documentation range) is only read,
# never contacted, and the agent's --resolv-conf names 127.0.0.1 (lib.sh), so no name is forwarded off the machine.

REG=127.0.0.1:5000
DNS_IP=10.96.0.10

# reach NS POD URL: prints "reached" when POD fetches URL within 3 s, else "blocked" (busybox wget; its own -T crashes in
# Debian's static busybox 1.35, so busybox timeout bounds it).
reach() {
  kubectl exec -n "$1" "$2" -- sh -c "if timeout 3 wget -q -O /dev/null '$3' 2>/dev/null; then echo reached; else echo blocked; fi"
}
reaches() { [[ "$(reach "$@")" == reached ]]; }
is_blocked() { [[ "$(reach "$@")" == blocked ]]; }

# hostnames_from COMMAND...: the distinct pod hostnames that answered 30 runs of COMMAND (which prints /cgi-bin/hostname).
hostnames_from() { for _ in $(seq 30); do "$@" 2>/dev/null; echo; done | grep -v '^$' | sort -u | tr '\n' ' '; }

# same_words A B: the same words, in any order.
same_words() { [[ "$(tr ' ' '\n' <<<"$1" | grep -v '^$' | sort | tr '\n' ' ')" == "$(tr ' ' '\n' <<<"$2" | grep -v '^$' | sort | tr '\n' ' ')" ]]; }

eventually "the embedded agent's node turns Ready" 90 -- kubectl wait node --all --for=condition=Ready --timeout=2s

# kube-dns: a selectorless Service whose endpoints are the nodes' DNS addresses (the pod gateway of each node).
gateway="$(kubectl get nodes -o jsonpath='{.items[0].spec.podCIDR}' | sed -E 's#\.0/[0-9]+$#.1#')"
eventually "kube-system/kube-dns has the node's DNS address as its endpoint" 60 -- \
  sh -c "kubectl get endpoints -n kube-system kube-dns -o jsonpath='{.subsets[*].addresses[*].ip}' | grep -qw '$gateway'"
expect "kube-dns has an EndpointSlice with port 53" '53' -- \
  kubectl get endpointslices -n kube-system -l kubernetes.io/service-name=kube-dns -o jsonpath='{.items[*].ports[*].port}'
expect_eq "kube-dns sits at --cluster-dns" "$DNS_IP" -- kubectl get svc -n kube-system kube-dns -o jsonpath='{.spec.clusterIP}'

# A 2-replica web Deployment behind a ClusterIP Service.
kubectl create deployment web --image=$REG/skiff/httpd:1 --replicas=2 >/dev/null
kubectl expose deployment web --port=80 >/dev/null
expect "the web Deployment rolls out" 'successfully rolled out' -- kubectl rollout status deployment/web --timeout=180s
pods="$(kubectl get pods -l app=web -o jsonpath='{.items[*].metadata.name}')"
pod_ips="$(kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}')"
cip="$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')"
expect "the ClusterIP comes from --service-cidr" '^10\.96\.' -- echo "$cip"
expect "pod IPs come from the node's pod CIDR in --cluster-cidr" '^10\.244\.[0-9]+\.[0-9]+ 10\.244\.' -- echo "$pod_ips"
eventually "the ClusterIP answers from the host" 30 -- curl -fsS --max-time 3 "http://$cip/"
answered="$(hostnames_from curl -fsS --max-time 3 "http://$cip/cgi-bin/hostname")"
if same_words "$answered" "$pods"; then e2e_pass "the ClusterIP spreads the host's requests over both pods"; else
  e2e_fail "the ClusterIP spreads the host's requests over both pods" "pods: $pods"$'\n'"answered: $answered"; fi

# A client pod finds the Service by name through the cluster DNS.
kubectl run client --image=$REG/skiff/shell:1 --restart=Never --labels=role=client >/dev/null
eventually "the client pod is Ready" 90 -- kubectl wait pod/client --for=condition=Ready --timeout=2s
expect "the pod's resolv.conf names the cluster DNS" "nameserver $DNS_IP" -- kubectl exec client -- cat /etc/resolv.conf
expect "the pod's resolv.conf searches the namespace's domains with ndots:5" \
  'search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local.*ndots:5' -- \
  sh -c "kubectl exec client -- cat /etc/resolv.conf | tr '\n' ' '"
for name in web web.default web.default.svc.cluster.local; do
  eventually "a pod fetches http://$name/ by DNS name" 30 -- reaches default client "http://$name/"
done
expect "nslookup in a pod shows the ClusterIP" "Address:? *$cip" -- \
  kubectl exec client -- sh -c 'nslookup web.default.svc.cluster.local 2>&1; true'
answered="$(hostnames_from kubectl exec client -- timeout 3 wget -q -O- http://web/cgi-bin/hostname)"
if same_words "$answered" "$pods"; then e2e_pass "a pod's requests to the Service reach both pods"; else
  e2e_fail "a pod's requests to the Service reach both pods" "pods: $pods"$'\n'"answered: $answered"; fi

# A headless Service: no ClusterIP, DNS answers with the pods' own addresses.
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
EOF
headless_ips() { kubectl exec client -- sh -c 'nslookup web-headless.default.svc.cluster.local 2>&1; true' | sed -nE 's/^Address: *([0-9.]+)$/\1/p' | tr '\n' ' '; }
headless_ok() { same_words "$(headless_ips)" "$pod_ips"; }
eventually "a headless Service resolves to the pod IPs ($pod_ips)" 30 -- headless_ok
headless_ok || echo "       | nslookup answered: $(headless_ips)"

# NodePort: on loopback and on the host's own address (every node address).
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
EOF
node_port="$(kubectl get svc web-np -o jsonpath='{.spec.ports[0].nodePort}')"
eventually "a NodePort answers on 127.0.0.1:$node_port" 30 -- curl -fsS --max-time 3 "http://127.0.0.1:$node_port/"
node_ip="$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')"
host_ip="$(ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $4; exit }')"
for address in $(printf '%s\n' "$node_ip" "$host_ip" | grep -v '^$' | grep -v '^127\.' | sort -u); do
  eventually "the NodePort answers on this node's address $address:$node_port" 30 -- curl -fsS --max-time 3 "http://$address:$node_port/"
done

# LoadBalancer: the address comes from --service-lb-pool and shows in kubectl; it is not contacted (see the header).
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 8080, targetPort: 80}]
EOF
eventually "kubectl get svc shows the LoadBalancer's EXTERNAL-IP from --service-lb-pool" 30 -- \
  sh -c "kubectl get svc web-lb --no-headers | awk '{print \$4}' | grep -Eq '^198\.51\.100\.24[0-7]$'"
expect "the LoadBalancer Service has its own NodePort" '^[0-9]+$' -- kubectl get svc web-lb -o jsonpath='{.spec.ports[0].nodePort}'

# NetworkPolicy, in a namespace of its own: deny all ingress, then allow from a label.
kubectl create namespace np >/dev/null
kubectl run guarded -n np --image=$REG/skiff/httpd:1 --restart=Never --labels=app=guarded >/dev/null
kubectl run friend -n np --image=$REG/skiff/shell:1 --restart=Never --labels=access=yes >/dev/null
kubectl run stranger -n np --image=$REG/skiff/shell:1 --restart=Never >/dev/null
eventually "the policy test pods are Ready" 90 -- kubectl wait pod -n np --all --for=condition=Ready --timeout=2s
guarded="http://$(kubectl get pod -n np guarded -o jsonpath='{.status.podIP}')/"
eventually "without a policy, friend reaches guarded" 20 -- reaches np friend "$guarded"
eventually "without a policy, stranger reaches guarded" 20 -- reaches np stranger "$guarded"
kubectl apply -n np -f - >/dev/null <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress]
EOF
eventually "deny-all: friend is blocked" 30 -- is_blocked np friend "$guarded"
eventually "deny-all: stranger is blocked" 30 -- is_blocked np stranger "$guarded"
kubectl apply -n np -f - >/dev/null <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-friends}
spec:
  podSelector: {matchLabels: {app: guarded}}
  ingress:
  - from: [{podSelector: {matchLabels: {access: "yes"}}}]
    ports: [{port: 80}]
EOF
eventually "allow-from-label: friend reaches guarded again" 30 -- reaches np friend "$guarded"
expect_eq "allow-from-label: stranger is still blocked" 'blocked' -- reach np stranger "$guarded"
kubectl delete networkpolicy -n np --all >/dev/null
eventually "with the policies deleted, stranger reaches guarded" 30 -- reaches np stranger "$guarded"

# No endpoints: the ClusterIP rejects at once instead of timing out.
kubectl scale deployment web --replicas=0 >/dev/null
eventually "scaling to 0 removes the web pods" 60 -- sh -c "[ -z \"\$(kubectl get pods -l app=web -o name)\" ]"
# curl exits 7 when the connection is refused ("Couldn't connect to server" in curl 7.88), 28 when it times out (dropped).
refused() { curl -sS --max-time 3 "http://$cip/" 2>&1; [[ $? == 7 ]]; }
eventually "with no endpoints the ClusterIP refuses the host's connection" 20 -- refused
expect "with no endpoints a pod's connection by name is refused" 'refused' -- \
  kubectl exec client -- sh -c 'timeout 3 wget -q -O- http://web/ 2>&1; true'

# A clean stop removes what the agent added to the host (lib.sh removes the bridge, and any leftovers after this check).
e2e_stop_server_process
leftovers="$(e2e_network_leftovers)"
if [[ -z "$leftovers" ]]; then
  e2e_pass "after the server stops, no KUBE-/SKIFF- iptables chain or jump, VXLAN device or pod route is left"
else
  e2e_fail "after the server stops, no KUBE-/SKIFF- iptables chain or jump, VXLAN device or pod route is left" "$leftovers"
fi
expect "after the server stops, route_localnet has the value it had before (the proxy puts it back)" "^${E2E_ROUTE_LOCALNET_BEFORE:-0}\$" -- \
  cat /proc/sys/net/ipv4/conf/all/route_localnet
