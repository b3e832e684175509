#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a running cluster: install packages, build a release of the
# `skiff` binary into ./out, start the local image registry with the example images (scripts/images.sh), and start
# `skiff server` in the background; waits until it is ready.
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

echo "skiff: starting 'skiff server --data-dir $DATA_DIR $*' (log: $LOG)"
setsid nohup out/skiff server --data-dir "$DATA_DIR" "$@" >>"$LOG" 2>&1 </dev/null &
echo $! >"$PIDFILE"

for _ in $(seq 150); do
  # Check our own process first: another server already on the port would answer /readyz too.
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "skiff: the server exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
  if [[ -f "$DATA_DIR/admin.kubeconfig" ]] && kubectl --kubeconfig "$DATA_DIR/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    sleep 1
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "skiff: the server exited; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
    echo "skiff: ready. Use it with:"
    echo "  export KUBECONFIG=$DATA_DIR/admin.kubeconfig"
    echo "  kubectl version"
    exit 0
  fi
  sleep 0.2
done
echo "skiff: the server did not become ready in 30 s; see $LOG" >&2
exit 1
