#!/usr/bin/env bash
# Installs the Debian packages Skiff and its tests use, idempotently. Sourced by up.sh and test.sh.
set -euo pipefail

# containerd, runc and the CNI plugins run pods (Skiff.Agent/Runtime); gcc and libc6-dev build the pause image at start;
# busybox-static fills the tests' container image, since nothing is downloaded. docker-registry is the local registry on
# 127.0.0.1:5000; umoci and skopeo build and push the image set of scripts/images.sh; apache2-utils has htpasswd for the tests'
# registry with basic auth; libssl-dev has the static OpenSSL the sidecar-injector test image links.
SKIFF_PACKAGES=(etcd-server etcd-client sqlite3 ca-certificates openssl curl iproute2 iptables procps python3 python3-kubernetes
  containerd runc containernetworking-plugins gcc libc6-dev busybox-static docker-registry umoci skopeo apache2-utils libssl-dev)

skiff_install_packages() {
  local missing=()
  for p in "${SKIFF_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "skiff: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! command -v dotnet >/dev/null; then
    echo "skiff: the .NET 10 SDK (dotnet) is required; install it first (see README)" >&2
    exit 1
  fi
}
