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
# local registry of scripts/images.sh is started and filled first. The agent gets a --resolv-conf naming only 127.0.0.1
# (unless the scenario gives its own), so the cluster DNS forwards no name off this machine.
e2e_start_server() {
  SKIFF_DATA="$(mktemp -d /tmp/skiff-e2e-XXXXXX)"
  local port agent_args=(--disable-agent)
  port="$(e2e_free_port)"
  E2E_CLUSTER_CIDR="$(e2e_flag_value --cluster-cidr 10.42.0.0/16 "$@")"
  if [[ "${E2E_AGENT:-0}" == 1 ]]; then
    scripts/images.sh all >"$SKIFF_DATA/images.log" 2>&1 || { echo "scripts/images.sh failed:" >&2; tail -20 "$SKIFF_DATA/images.log" >&2; return 1; }
    E2E_BRIDGES_BEFORE="$(e2e_bridges)"
    E2E_NET_BEFORE="$(e2e_network_state)"
    export E2E_ROUTE_LOCALNET_BEFORE="$(cat /proc/sys/net/ipv4/conf/all/route_localnet)"
    agent_args=(--node-ip 127.0.0.1 --kubelet-port "$(e2e_free_port)")
    if [[ -z "$(e2e_flag_value --resolv-conf '' "$@")" ]]; then
      printf '# skiff e2e: nothing is forwarded off this machine\nnameserver 127.0.0.1\n' >"$SKIFF_DATA/resolv.conf"
      agent_args+=(--resolv-conf "$SKIFF_DATA/resolv.conf")
    fi
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

# e2e_flag_value FLAG DEFAULT ARGS...: the value given to FLAG in ARGS (as "FLAG VALUE" or "FLAG=VALUE"), else DEFAULT.
e2e_flag_value() {
  local flag=$1 value=$2
  shift 2
  while (($#)); do
    case "$1" in
      "$flag") value="${2:-}"; shift ;;
      "$flag="*) value="${1#*=}" ;;
    esac
    shift
  done
  printf '%s\n' "$value"
}

# The names of this machine's bridges whose names the agent uses (sk + hash of its containerd dir).
e2e_bridges() { ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | grep '^sk' | sort; }

# The agent's network state on this host, one sorted line per item: KUBE-* and SKIFF-* iptables chains (IPv4 and IPv6, every
# table), rules in other chains that jump to them, VXLAN devices, and routes into this run's --cluster-cidr that are not on one
# of the agent's bridges (those go with the bridge). After a clean stop of the agent, nothing beyond what was there before.
e2e_network_state() {
  local tool
  for tool in iptables ip6tables; do
    "$tool-save" 2>/dev/null | awk -v tool="$tool" '
      /^\*/ { table = substr($0, 2) }
      /^:(KUBE|SKIFF)-/ { print tool, table, "chain", substr($1, 2) }
      /^-A / && $2 !~ /^(KUBE|SKIFF)-/ && / -[jg] (KUBE|SKIFF)-/ { print tool, table, "rule", $0 }'
  done
  ip -o link show type vxlan 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print "vxlan", $2 }'
  if [[ -n "${E2E_CLUSTER_CIDR:-}" ]]; then
    ip -o route show table all root "$E2E_CLUSTER_CIDR" 2>/dev/null | grep -Ev ' dev sk[0-9a-f]{8}( |$)' | sed 's/^/route /'
  fi
} 2>/dev/null

# What the agent of this run left behind: e2e_network_state lines that were not there when the server started.
e2e_network_leftovers() { comm -13 <(printf '%s\n' "${E2E_NET_BEFORE:-}" | sort) <(e2e_network_state | sort) | grep -v '^$'; true; }

# Removes the leftovers e2e_network_leftovers lists: jumps first, then the chains (flushed and deleted in one
# iptables-restore transaction per table), VXLAN devices named skiff*, routes.
e2e_remove_network_leftovers() {
  local leftovers tool table
  leftovers="$(e2e_network_leftovers)"
  [[ -z "$leftovers" ]] && return 0
  for tool in iptables ip6tables; do
    for table in $(awk -v tool="$tool" '$1 == tool { print $2 }' <<<"$leftovers" | sort -u); do
      {
        echo "*$table"
        awk -v tool="$tool" -v table="$table" '$1 == tool && $2 == table && $3 == "rule" { $1 = $2 = $3 = ""; sub(/^ *-A /, "-D "); print }' <<<"$leftovers"
        awk -v tool="$tool" -v table="$table" '$1 == tool && $2 == table && $3 == "chain" { print ":" $4 " - [0:0]" }' <<<"$leftovers"
        awk -v tool="$tool" -v table="$table" '$1 == tool && $2 == table && $3 == "chain" { print "-X " $4 }' <<<"$leftovers"
        echo COMMIT
      } | "$tool-restore" --noflush --wait
    done
  done
  awk '$1 == "vxlan" && $2 ~ /^skiff/ { print $2 }' <<<"$leftovers" | while read -r dev; do ip link del "$dev"; done
  sed -n 's/^route //p' <<<"$leftovers" | while read -r route; do
    # shellcheck disable=SC2086 # the route's own words are the arguments of ip route del
    ip route del $route 2>/dev/null
  done
}

# Stops the server like an operator would: with the agent, its pods are deleted first (pods outlive their agent, as with
# k3s, so the kubelet must stop and remove them while it runs); then SIGTERM, SIGKILL after 10 s. The data dir stays.
e2e_stop_server_process() {
  if [[ "${E2E_AGENT:-0}" == 1 && -n "${SKIFF_PID:-}" ]] && kill -0 "$SKIFF_PID" 2>/dev/null; then
    # Workload controllers first: a Deployment's ReplicaSet would otherwise replace the pods deleted below.
    kubectl delete deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs --all --all-namespaces --wait=false >/dev/null 2>&1
    kubectl delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1
    for _ in $(seq 120); do [[ -z "$(kubectl get pods -A -o name 2>/dev/null)" ]] && break; sleep 0.5; done
  fi
  if [[ -n "${SKIFF_PID:-}" ]] && kill -0 "$SKIFF_PID" 2>/dev/null; then
    kill -TERM "$SKIFF_PID"
    for _ in $(seq 100); do kill -0 "$SKIFF_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SKIFF_PID" 2>/dev/null || true
  fi
  SKIFF_PID=
}

e2e_stop_server() {
  e2e_stop_server_process
  if [[ "${E2E_AGENT:-0}" == 1 && -n "${SKIFF_DATA:-}" ]]; then
    # A killed server leaves its containerd running (in its own session, by design): stop it by the PID it wrote.
    local pid
    pid="$(cat "$SKIFF_DATA/agent/containerd/containerd.pid" 2>/dev/null)"
    if [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == containerd ]]; then
      kill -TERM "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    # A pod the kubelet did not remove keeps its shim (and the shim its containers) after containerd stops: the shims of
    # this run's containerd are found by the socket address on their command line and killed with their children, by PID.
    local shim
    for shim in $(pgrep -f -- "-address $SKIFF_DATA/agent/containerd/containerd.sock" 2>/dev/null); do
      pkill -KILL -P "$shim" 2>/dev/null
      kill -KILL "$shim" 2>/dev/null
    done
    # Whatever the agent left (network namespaces, rootfs mounts under its containerd dir, its bridge) goes too.
    grep -o " $SKIFF_DATA/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    comm -13 <(printf '%s\n' "${E2E_BRIDGES_BEFORE:-}") <(e2e_bridges) | while read -r b; do [[ -n "$b" ]] && ip link del "$b" 2>/dev/null; done
    # The agent removes its iptables chains, VXLAN device and routes when it stops (81-network.sh fails if it did not); a
    # killed or broken agent leaves them, and they would disturb the next run.
    local leftovers
    leftovers="$(e2e_network_leftovers)"
    if [[ -n "$leftovers" ]]; then
      echo "e2e: the agent left this network state behind; removing it:" >&2
      printf '%s\n' "$leftovers" | sed 's/^/       | /' | head -40 >&2
      e2e_remove_network_leftovers
      [[ -z "$(e2e_network_leftovers)" ]] || { echo "e2e: could not remove all of it:" >&2; e2e_network_leftovers >&2; }
    fi
    # The proxy turns on route_localnet for NodePorts on 127.0.0.1 and puts the old value back on a clean stop; after a
    # kill -9 it stays on without the KUBE-FIREWALL guard, so the host gets its old value back here in any case.
    [[ -n "${E2E_ROUTE_LOCALNET_BEFORE:-}" ]] && echo "$E2E_ROUTE_LOCALNET_BEFORE" >/proc/sys/net/ipv4/conf/all/route_localnet
    # The agent's QoS cgroups (pod cgroups are gone with the pods); rmdir leaves any cgroup that still has tasks.
    find /sys/fs/cgroup/*/skiff -depth -type d -exec rmdir {} \; 2>/dev/null
  fi
  [[ -n "${SKIFF_DATA:-}" && -d "$SKIFF_DATA" ]] && rm -rf "$SKIFF_DATA"
  SKIFF_DATA=
}

# After a scenario with failures: what a reader of the log needs to tell a broken host from a broken Skiff, kept short. The
# server's warnings and errors always; with the agent, the addresses, routes, bridge ports and pods too.
e2e_diagnose() {
  {
    echo "e2e: diagnostics after the failures above"
    if [[ "${E2E_AGENT:-0}" == 1 ]]; then
      ip -br addr 2>&1
      ip route 2>&1
      bridge link 2>&1 | head -20
      kubectl get pods -A -o wide 2>&1 | head -20
    fi
    grep -E '^[0-9TZ:.-]+ (warn|fail|crit): ' "${SKIFF_DATA:-/nonexistent}/server.log" 2>/dev/null | tail -25
  } | sed 's/^/       # /'
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
