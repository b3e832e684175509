#!/usr/bin/env bash
# Runs every kubectl scenario in test/e2e/scenarios against a freshly started `skiff server`, one server per scenario file;
# with arguments, only the scenarios whose file names contain one of them (test/e2e/run.sh 80-pods 81-network).
# Prints "e2e: N passed, N failed" last.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/e2e/lib.sh

if [[ -z "${SKIFF_BIN:-}" ]]; then
  dotnet build src/Skiff/Skiff.csproj -c Debug --nologo -v quiet >/dev/null || { echo "e2e: 0 passed, 1 failed"; exit 1; }
  SKIFF_BIN="$(pwd)/src/Skiff/bin/Debug/net10.0/skiff"
fi
export SKIFF_BIN

# Agent scenarios start the local registry (scripts/images.sh); stop it at the end unless it was running before (up.sh's).
registry_was_running=0
scripts/images.sh status 2>/dev/null | grep -q 'registry running' && registry_was_running=1
trap 'e2e_stop_server; [[ $registry_was_running == 1 ]] || scripts/images.sh stop >/dev/null 2>&1' EXIT
selected=()
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
    (cd "$work" && E2E_PASSED=0 && E2E_FAILED=0 && source "$OLDPWD/$scenario"; echo "$E2E_PASSED $E2E_FAILED ${E2E_FAILURES[*]:-}" >"$work/.result")
    read -r p f rest <"$work/.result" || { p=0; f=1; }
    E2E_PASSED=$((E2E_PASSED + p))
    E2E_FAILED=$((E2E_FAILED + f))
    rm -rf "$work"
  else
    e2e_fail "$(basename "$scenario"): server start"
  fi
  e2e_stop_server
done

echo "e2e: $E2E_PASSED passed, $E2E_FAILED failed"
[[ $E2E_FAILED -eq 0 ]]
