#!/usr/bin/env bash
# Runs every kubectl scenario in test/e2e/scenarios against a freshly started `skiff server`, one server per scenario file;
# with arguments, only the scenarios whose file names contain one of them (test/e2e/run.sh 80-pods 81-network).
# Prints "e2e: N passed, N failed" last.
set -uo pipefail
self="$(readlink -f "$0")"
cd "$(dirname "$0")/../.."

# Built before the network namespace below, where a package restore could reach no feed.
if [[ -z "${SKIFF_BIN:-}" ]]; then
  dotnet build src/Skiff/Skiff.csproj -c Debug --nologo -v quiet >/dev/null || { echo "e2e: 0 passed, 1 failed"; exit 1; }
  SKIFF_BIN="$(pwd)/src/Skiff/bin/Debug/net10.0/skiff"
fi
export SKIFF_BIN

# The scenarios run in a network namespace of their own (as root; E2E_HOST_NETWORK=1 keeps the host's): loopback, and a veth
# pair with both ends inside, one with an address and the default route (so the host looks like a machine with one interface)
# and the other without an address, where anything sent off the machine ends: nothing leaves the namespace.
# The servers, their containerd and pods, the registry, iptables chains, bridges and routes all live there, so neither a
# cluster on the host (scripts/up.sh's, or anything else using 10.42.0.0/16) nor the host's addresses and rules can meet the
# scenarios' pod and service networks. Only the network changes (nsenter, not `ip netns exec`, which would remount /sys and
# hide the cgroup hierarchies). When the run ends, whatever still runs in the namespace is killed by PID and it is deleted.
if [[ -z "${SKIFF_E2E_NETNS:-}" && "${E2E_HOST_NETWORK:-0}" != 1 && $EUID -eq 0 ]]; then
  netns="skiff-e2e-$$"
  e2e_netns_cleanup() {
    local pids
    pids="$(ip netns pids "$netns" 2>/dev/null)"
    [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
    ip netns del "$netns" 2>/dev/null
  }
  ip netns add "$netns" || { echo "e2e: could not create network namespace $netns"; echo "e2e: 0 passed, 1 failed"; exit 1; }
  trap 'e2e_netns_cleanup' EXIT
  trap 'exit 143' TERM INT
  ip -n "$netns" link set lo up &&
    ip -n "$netns" link add e2e0 type veth peer name e2e1 &&
    ip -n "$netns" link set e2e1 up &&
    ip -n "$netns" addr add 192.168.231.2/24 dev e2e0 &&
    ip -n "$netns" link set e2e0 up &&
    ip -n "$netns" route add default via 192.168.231.1 dev e2e0 ||
    { echo "e2e: could not set up network namespace $netns"; echo "e2e: 0 passed, 1 failed"; exit 1; }
  SKIFF_E2E_NETNS="$netns" nsenter --net="/run/netns/$netns" "$self" "$@"
  exit $?
fi
# The registry of this namespace is not the host's: its state (storage, PID file) gets a directory of its own.
[[ -n "${SKIFF_E2E_NETNS:-}" ]] && export SKIFF_DATA_DIR="${E2E_REGISTRY_DIR:-/var/lib/skiff-e2e}"

source test/e2e/lib.sh

# Agent scenarios start the local registry (scripts/images.sh); stop it at the end unless it was running before (up.sh's).
registry_was_running=0
scripts/images.sh status 2>/dev/null | grep -q 'registry running' && registry_was_running=1
trap 'e2e_stop_server; [[ $registry_was_running == 1 ]] || scripts/images.sh stop >/dev/null 2>&1' EXIT
selected=()
failed_checks=()
for scenario in test/e2e/scenarios/*.sh; do
  if (($#)); then
    for want in "$@"; do [[ "$(basename "$scenario")" == *"$want"* ]] && { selected+=("$scenario"); break; }; done
  else
    selected+=("$scenario")
  fi
done
((${#selected[@]})) || { echo "e2e: no scenario matches $*"; echo "e2e: 0 passed, 1 failed"; exit 1; }
for scenario in "${selected[@]}"; do
  echo "e2e: $(basename "$scenario")"
  # A scenario may start its server with extra flags, on a line "# e2e-server-args: --flag value" (e.g. a short grace period).
  read -ra server_args <<<"$(sed -n 's/^# e2e-server-args: //p' "$scenario" | head -1)"
  # "# e2e-agent: yes" runs the server with its embedded agent (real containerd and pods) instead of --disable-agent.
  E2E_AGENT=0
  grep -q '^# e2e-agent: yes' "$scenario" && E2E_AGENT=1
  if e2e_start_server "${server_args[@]}"; then
    work="$(mktemp -d /tmp/skiff-e2e-work-XXXXXX)"
    # shellcheck source=/dev/null
    (cd "$work" && E2E_PASSED=0 && E2E_FAILED=0 && E2E_FAILURES=() && source "$OLDPWD/$scenario"
     echo "$E2E_PASSED $E2E_FAILED" >"$work/.result"; printf '%s\n' "${E2E_FAILURES[@]}" >>"$work/.result")
    { read -r p f; mapfile -t names; } <"$work/.result" || { p=0; f=1; names=("did not finish"); }
    E2E_PASSED=$((E2E_PASSED + p))
    E2E_FAILED=$((E2E_FAILED + f))
    for name in "${names[@]}"; do [[ -n "$name" ]] && failed_checks+=("$(basename "$scenario"): $name"); done
    [[ "$f" != 0 ]] && e2e_diagnose
    rm -rf "$work"
  else
    e2e_fail "$(basename "$scenario"): server start"
    failed_checks+=("$(basename "$scenario"): server start")
  fi
  e2e_stop_server
done

# The failed checks again, last, so a log cut to its head and tail still names every one of them.
((${#failed_checks[@]})) && printf 'e2e: FAILED %s\n' "${failed_checks[@]}"
echo "e2e: $E2E_PASSED passed, $E2E_FAILED failed"
[[ $E2E_FAILED -eq 0 ]]
