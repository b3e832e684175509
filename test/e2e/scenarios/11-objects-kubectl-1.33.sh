# The same object scenario with kubectl 1.33 (the dispatcher's other client the issue names), called directly.
KUBECTL_133=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
if [[ -x "$KUBECTL_133" ]]; then
  kubectl() { "$KUBECTL_133" "$@"; }
  expect "kubectl 1.33 is the client" 'Client Version: v1\.33' -- kubectl version
  # shellcheck source=/dev/null
  source "$(dirname "${BASH_SOURCE[0]}")/10-objects.sh"
  unset -f kubectl
else
  e2e_fail "kubectl 1.33 is installed at $KUBECTL_133"
fi
