#!/usr/bin/env bash
# Helpers for the kubectl end-to-end scenarios: start a real `skiff server`, run kubectl against it, record results.

E2E_PASSED=0
E2E_FAILED=0
E2E_FAILURES=()

e2e_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts `skiff server` on loopback with a fresh data directory; sets SKIFF_PID, SKIFF_DATA, KUBECONFIG. Without an agent
# unless E2E_AGENT=1: then the embedded agent runs (containerd, kubelet on 127.0.0.1 and a free kubelet port) and the
# local registry of scripts/images.sh is started and filled first.
e2e_start_server() {
  SKIFF_DATA="$(mktemp -d /tmp/skiff-e2e-XXXXXX)"
  local port agent_args=(--disable-agent)
  port="$(e2e_free_port)"
  if [[ "${E2E_AGENT:-0}" == 1 ]]; then
    scripts/images.sh all >"$SKIFF_DATA/images.log" 2>&1 || { echo "scripts/images.sh failed:" >&2; tail -20 "$SKIFF_DATA/images.log" >&2; return 1; }
    E2E_BRIDGES_BEFORE="$(e2e_bridges)"
    agent_args=(--node-ip 127.0.0.1 --kubelet-port "$(e2e_free_port)")
  fi
  "$SKIFF_BIN" server --data-dir "$SKIFF_DATA" --bind-address 127.0.0.1 --secure-port "$port" "${agent_args[@]}" "$@" \
    >"$SKIFF_DATA/server.log" 2>&1 &
  SKIFF_PID=$!
  export KUBECONFIG="$SKIFF_DATA/admin.kubeconfig"
  for _ in $(seq 300); do
    if [[ -f "$KUBECONFIG" ]] && kubectl get --raw /readyz >/dev/null 2>&1 && kubectl get ns default >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$SKIFF_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "skiff server did not become ready; its log:" >&2
  tail -30 "$SKIFF_DATA/server.log" >&2
  return 1
}

# The names of this machine's bridges whose names the agent uses (sk + hash of its containerd dir).
e2e_bridges() { ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep '^sk' | sort; }

e2e_stop_server() {
  if [[ "${E2E_AGENT:-0}" == 1 && -n "${SKIFF_PID:-}" ]] && kill -0 "$SKIFF_PID" 2>/dev/null; then
    # Pods outlive their agent (as with k3s): let the kubelet stop and remove them before the server goes.
    kubectl delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1
    for _ in $(seq 120); do [[ -z "$(kubectl get pods -A -o name 2>/dev/null)" ]] && break; sleep 0.5; done
  fi
  if [[ -n "${SKIFF_PID:-}" ]] && kill -0 "$SKIFF_PID" 2>/dev/null; then
    kill -TERM "$SKIFF_PID"
    for _ in $(seq 100); do kill -0 "$SKIFF_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SKIFF_PID" 2>/dev/null || true
  fi
  SKIFF_PID=
  if [[ "${E2E_AGENT:-0}" == 1 && -n "${SKIFF_DATA:-}" ]]; then
    # Whatever the agent left (network namespaces, rootfs mounts under its containerd dir, its bridge) goes too.
    grep -o " $SKIFF_DATA/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    comm -13 <(printf '%s\n' "${E2E_BRIDGES_BEFORE:-}") <(e2e_bridges) | while read -r b; do [[ -n "$b" ]] && ip link del "$b" 2>/dev/null; done
    # The agent's QoS cgroups (pod cgroups are gone with the pods); rmdir leaves any cgroup that still has tasks.
    find /sys/fs/cgroup/*/skiff -depth -type d -exec rmdir {} \; 2>/dev/null
  fi
  [[ -n "${SKIFF_DATA:-}" && -d "$SKIFF_DATA" ]] && rm -rf "$SKIFF_DATA"
  SKIFF_DATA=
}

e2e_pass() { E2E_PASSED=$((E2E_PASSED + 1)); echo "  PASS $1"; }

e2e_fail() {
  E2E_FAILED=$((E2E_FAILED + 1))
  E2E_FAILURES+=("$1")
  echo "  FAIL $1"
  [[ -n "${2:-}" ]] && printf '%s\n' "$2" | sed 's/^/       | /' | head -40
}

# expect NAME PATTERN -- COMMAND...: the command succeeds and its output (stdout+stderr) matches the extended regex.
expect() {
  local name=$1 pattern=$2
  shift 3
  local out
  if out=$("$@" 2>&1) && grep -Eq -- "$pattern" <<<"$out"; then
    e2e_pass "$name"
  else
    e2e_fail "$name" "wanted /$pattern/ from: $*"$'\n'"$out"
  fi
}

# expect_fail NAME PATTERN -- COMMAND...: the command fails and its output matches.
expect_fail() {
  local name=$1 pattern=$2
  shift 3
  local out
  if ! out=$("$@" 2>&1) && grep -Eq -- "$pattern" <<<"$out"; then
    e2e_pass "$name"
  else
    e2e_fail "$name" "wanted failure /$pattern/ from: $*"$'\n'"$out"
  fi
}

# expect_eq NAME EXPECTED -- COMMAND...: the command's stdout equals EXPECTED exactly.
expect_eq() {
  local name=$1 expected=$2
  shift 3
  local out
  out=$("$@" 2>&1)
  if [[ "$out" == "$expected" ]]; then
    e2e_pass "$name"
  else
    e2e_fail "$name" "wanted exactly:"$'\n'"$expected"$'\n'"got:"$'\n'"$out"
  fi
}

# eventually NAME SECONDS -- COMMAND...: the command succeeds within SECONDS (polled every 0.5 s).
eventually() {
  local name=$1 seconds=$2
  shift 3
  local out
  for _ in $(seq $((seconds * 2))); do
    if out=$("$@" 2>&1); then e2e_pass "$name"; return; fi
    sleep 0.5
  done
  e2e_fail "$name" "still failing after ${seconds}s: $*"$'\n'"$out"
}

# micro_now: the current UTC time with microseconds, as Lease renewTime wants it.
micro_now() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
