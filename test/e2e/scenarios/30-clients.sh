# Official client libraries (beyond kubectl) against the API server alone: Debian's python3-kubernetes.
# The Debian package installs into /usr/lib/python3/dist-packages, which only the system interpreter sees (a pyenv or venv
# python3 earlier on PATH would not), so the script runs under /usr/bin/python3.
CLIENTS_DIR="$(dirname "${BASH_SOURCE[0]}")/../clients"
if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then
  expect "python client create/list/watch/patch/conflict/delete" 'all checks passed' -- \
    /usr/bin/python3 "$CLIENTS_DIR/python_client.py" "$KUBECONFIG"
else
  e2e_fail "python3-kubernetes is installed (apt-get install -y python3-kubernetes, see scripts/deps.sh)"
fi
