#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need, builds with warnings as errors, runs every xunit project and the
# kubectl end-to-end scenarios, and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
skiff_install_packages

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

echo "skiff: building (warnings are errors)"
if ! dotnet build Skiff.slnx -c Debug --nologo -v quiet -p:TreatWarningsAsErrors=true; then
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
status=0

echo "skiff: unit and integration tests"
# errexit off around the pipelines: a failing test run must still reach the e2e scenarios and the closing count.
set +e
dotnet test Skiff.slnx -c Debug --no-build --nologo 2>&1 | tee "$results/dotnet-test.log"
test_exit=${PIPESTATUS[0]}
set -e
while read -r f p; do
  failed=$((failed + f))
  passed=$((passed + p))
done < <(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), +Passed: +([0-9]+),.*/\2 \3/p' "$results/dotnet-test.log")
if [[ $test_exit -ne 0 ]]; then
  status=1
  # A test host that crashed prints no summary line; count it so the total cannot look green.
  grep -qE 'Failed! +- +Failed: +[1-9]' "$results/dotnet-test.log" || failed=$((failed + 1))
fi

if compgen -G "test/e2e/*.sh" >/dev/null && [[ -x test/e2e/run.sh ]]; then
  echo "skiff: kubectl end-to-end scenarios"
  set +e
  test/e2e/run.sh | tee "$results/e2e.log"
  e2e_exit=${PIPESTATUS[0]}
  set -e
  [[ $e2e_exit -eq 0 ]] || status=1
  read -r ep ef < <(sed -nE 's/^e2e: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$results/e2e.log" | tail -1)
  passed=$((passed + ${ep:-0}))
  failed=$((failed + ${ef:-1}))
fi

[[ $failed -eq 0 ]] || status=1
echo "$passed passed, $failed failed"
exit $status
