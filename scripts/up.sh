#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a running cluster: install packages, build a release of the
# `skiff` binary into ./out, start the local image registry with the example images (scripts/images.sh), and start
# `skiff server` in the background; waits until it is ready and, when it runs a node, until its Services and cluster DNS
# work, then prints how to try them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
skiff_install_packages

echo "skiff: building a release into ./out"
dotnet publish src/Skiff/Skiff.csproj -c Release -o out --nologo -v quiet -p:TreatWarningsAsErrors=true >/dev/null
install -m 0755 out/skiff /usr/local/bin/skiff 2>/dev/null || true

DATA_DIR="${SKIFF_DATA_DIR:-/var/lib/skiff}"
LOG="${SKIFF_LOG:-/var/log/skiff.log}"
PIDFILE="$DATA_DIR/server.pid"
mkdir -p "$DATA_DIR"
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "skiff: stopping the running server (pid $(cat "$PIDFILE"))"
  kill -TERM "$(cat "$PIDFILE")"
  for _ in $(seq 50); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 0.2; done
fi

# The local registry on 127.0.0.1:5000 with the example images (skiff/httpd, skiff/shell, skiff/memhog); skipped when present.
SKIFF_DATA_DIR="$DATA_DIR" scripts/images.sh

has_flag() { local flag=$1; shift; for a in "$@"; do [[ "$a" == "$flag" || "$a" == "$flag="* ]] && return 0; done; return 1; }
# Pods with dnsPolicy Default get the node's resolver file, and the cluster DNS forwards other names to its nameservers. A
# loopback stub such as systemd-resolved's 127.0.0.53 means nothing inside a pod: use the file with the real upstreams (as k3s does).
only_loopback_nameservers() { ! grep -E '^[[:space:]]*nameserver' /etc/resolv.conf 2>/dev/null | grep -vqE 'nameserver[[:space:]]+(127\.|::1)'; }
if ! has_flag --resolv-conf "$@" && only_loopback_nameservers && [[ -s /run/systemd/resolve/resolv.conf ]]; then
  set -- "$@" --resolv-conf /run/systemd/resolve/resolv.conf
fi

echo "skiff: starting 'skiff server --data-dir $DATA_DIR $*' (log: $LOG)"
setsid nohup out/skiff server --data-dir "$DATA_DIR" "$@" >>"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

# The node turns Ready and the cluster DNS publishes its address (kube-system/kube-dns gets an endpoint); then the hint.
wait_for_network() {
  local kc=(kubectl --kubeconfig "$DATA_DIR/admin.kubeconfig") reg="${SKIFF_REGISTRY_ADDR:-127.0.0.1:5000}"
  echo "skiff: waiting for the node and its cluster DNS"
  for _ in $(seq 120); do
    if "${kc[@]}" wait node --all --for=condition=Ready --timeout=1s >/dev/null 2>&1 &&
      { has_flag --disable-cluster-dns "$@" || [[ -n "$("${kc[@]}" get endpoints -n kube-system kube-dns -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)" ]]; }; then
      cat <<EOF
skiff: the node is Ready with its pod network, Service proxy and cluster DNS. Try a Service:
  kubectl create deployment web --image=$reg/skiff/httpd:1 --replicas=2
  kubectl expose deployment web --port=80
  kubectl rollout status deployment/web
  curl http://\$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')/cgi-bin/hostname    # from this host; again, and another pod may answer
  kubectl run client -it --rm --restart=Never --image=$reg/skiff/shell:1 -- wget -q -O- http://web/cgi-bin/hostname
  kubectl run client -it --rm --restart=Never --image=$reg/skiff/shell:1 -- nslookup web.default.svc.cluster.local
EOF
      return 0
    fi
    sleep 0.5
  done
  echo "skiff: the node or the cluster DNS is not ready after 60 s (kubectl get nodes; kubectl get endpoints -n kube-system kube-dns; see $LOG)" >&2
}

for _ in $(seq 150); do
  # Check our own process first: another server already on the port would answer /readyz too.
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "skiff: the server exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
  if [[ -f "$DATA_DIR/admin.kubeconfig" ]] && kubectl --kubeconfig "$DATA_DIR/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    sleep 1
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "skiff: the server exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
    echo "skiff: ready. Use it with:"
    echo "  export KUBECONFIG=$DATA_DIR/admin.kubeconfig"
    echo "  kubectl version"
    has_flag --disable-agent "$@" || wait_for_network "$@"
    exit 0
  fi
  sleep 0.2
done
echo "skiff: the server did not become ready in 30 s; see $LOG" >&2
exit 1
