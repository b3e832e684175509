#!/usr/bin/env bash
# The local registry and the small image set Skiff's examples and tests use, built from busybox-static with nothing downloaded.
#
#   scripts/images.sh            start the registry (if needed), then build and push the images (skipped when already there)
#   scripts/images.sh start      start the registry only
#   scripts/images.sh build      build and push the images (rebuilt when this script changed or the registry lacks them)
#   scripts/images.sh stop       stop the registry (SIGTERM by PID)
#   scripts/images.sh status     say whether it runs and list the repositories
#
# SKIFF_REGISTRY_ADDR (default 127.0.0.1:5000) and SKIFF_IMAGES (default "httpd shell memhog sidecar-injector") change what is
# used, for tests.
# The registry is Debian's docker-registry on 127.0.0.1:5000, plain HTTP (a loopback registry needs no configuration in
# Skiff), with its config, storage, log and PID file under $SKIFF_DATA_DIR/registry (default /var/lib/skiff/registry).
# Images, tagged :1 and :latest:
#   skiff/httpd   busybox httpd on port 80 ($PORT) serving /www: index.html ("Hello from skiff/httpd"), /healthz ("ok"),
#                 /cgi-bin/hostname (the pod's hostname, to see which pod answered)
#   skiff/shell   busybox with a shell; by default sleeps for an hour and exits at once on SIGTERM
#   skiff/memhog  memhog <MiB> [<MiB per second>]: allocates and touches that much memory, holds it until SIGTERM
#                 (a static C program; busybox beside it)
#   skiff/sidecar-injector  a mutating admission webhook over HTTPS (scripts/images/sidecar-injector.c, OpenSSL linked
#                 statically): sidecar-injector -c cert -k key [-p port, 8443] [-i image, $SIDECAR_IMAGE]; POST /mutate
#                 takes an AdmissionReview v1 and patches in a container "skiff-sidecar" that sleeps; GET /healthz
set -euo pipefail

DATA_DIR="${SKIFF_DATA_DIR:-/var/lib/skiff}"
ADDR="${SKIFF_REGISTRY_ADDR:-127.0.0.1:5000}"
REG_DIR="$DATA_DIR/registry"
PIDFILE="$REG_DIR/registry.pid"
read -r -a IMAGES <<<"${SKIFF_IMAGES:-httpd shell memhog sidecar-injector}"
SCRIPT="$(readlink -f "$0")"
SOURCES="$(dirname "$SCRIPT")/images"

running() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() { curl -fsS -o /dev/null --max-time 2 "http://$ADDR/v2/" 2>/dev/null; }

start_registry() {
  if running; then
    return 0
  fi
  if answers; then
    echo "skiff: something not started by this script already serves http://$ADDR; using it" >&2
    return 0
  fi
  command -v docker-registry >/dev/null || { echo "skiff: docker-registry is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
  mkdir -p "$REG_DIR/storage"
  cat >"$REG_DIR/config.yml" <<EOF
# Written by scripts/images.sh; edits are lost.
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
http:
  addr: $ADDR
EOF
  echo "skiff: starting the local registry on http://$ADDR (log: $REG_DIR/registry.log)"
  setsid nohup docker-registry serve "$REG_DIR/config.yml" >>"$REG_DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 50); do
    running || { echo "skiff: the registry exited; see $REG_DIR/registry.log" >&2; tail -5 "$REG_DIR/registry.log" >&2; exit 1; }
    answers && return 0
    sleep 0.1
  done
  echo "skiff: the registry did not answer on http://$ADDR within 5 s" >&2
  exit 1
}

stop_registry() {
  running || { rm -f "$PIDFILE"; return 0; }
  local pid
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PIDFILE"
  echo "skiff: stopped the local registry (pid $pid)"
}

# The memory hog: allocate N MiB (optionally at a rate), touch every page so it is resident, report, hold until SIGTERM.
write_memhog_c() {
  cat >"$1" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 64;
    long rate = argc > 2 ? atol(argv[2]) : 0;
    if (mib < 0 || rate < 0) { fprintf(stderr, "usage: memhog <MiB> [<MiB per second>]\n"); return 2; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long i = 1; i <= mib && !stop; i++) {
        char *chunk = malloc(1 << 20);
        if (chunk == NULL) { fprintf(stderr, "memhog: out of memory after %ld MiB\n", i - 1); return 1; }
        memset(chunk, (int)i, 1 << 20);
        if (i % 16 == 0 || i == mib) printf("memhog: %ld MiB allocated\n", i);
        if (rate > 0) { struct timespec t = {0, 1000000000L / rate}; nanosleep(&t, NULL); }
    }
    printf("memhog: holding %ld MiB until SIGTERM\n", mib);
    while (!stop) pause();
    return 0;
}
EOF
}

# A root filesystem with busybox and a link for every applet it has.
busybox_rootfs() {
  local root="$1"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

build_one() {
  local name="$1" work="$2" root="$work/rootfs-$1"
  busybox_rootfs "$root"
  local -a config=(--config.env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --config.label "org.opencontainers.image.source=skiff scripts/images.sh")
  case "$name" in
    httpd)
      mkdir -p "$root/www/cgi-bin"
      cat >"$root/www/index.html" <<'EOF'
<!DOCTYPE html>
<html><head><title>skiff/httpd</title></head>
<body><h1>Hello from skiff/httpd</h1><p>busybox httpd in a Skiff pod. <a href="/cgi-bin/hostname">Which pod answered?</a></p></body></html>
EOF
      echo ok >"$root/www/healthz"
      printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nhostname\n' >"$root/www/cgi-bin/hostname"
      chmod 0755 "$root/www/cgi-bin/hostname"
      # A shell as PID 1 that ends on SIGTERM (busybox httpd alone, as PID 1, would ignore it and sit out the grace period).
      config+=(--config.exposedports 80/tcp --config.workingdir /www
        --config.cmd sh --config.cmd -c --config.cmd 'trap "exit 0" TERM; httpd -f -p "${PORT:-80}" -h /www & wait')
      ;;
    shell)
      config+=(--config.workingdir /root --config.cmd sh --config.cmd -c --config.cmd 'trap "exit 0" TERM; sleep 3600 & wait')
      ;;
    memhog)
      write_memhog_c "$work/memhog.c"
      gcc -static -O2 -o "$root/bin/memhog" "$work/memhog.c"
      strip "$root/bin/memhog" 2>/dev/null || true
      config+=(--config.entrypoint /bin/memhog --config.cmd 64)
      ;;
    sidecar-injector)
      gcc -static -O2 -o "$root/bin/sidecar-injector" "$SOURCES/sidecar-injector.c" -lssl -lcrypto 2>"$work/sidecar-injector.log" \
        || { cat "$work/sidecar-injector.log" >&2; return 1; }
      strip "$root/bin/sidecar-injector" 2>/dev/null || true
      config+=(--config.exposedports 8443/tcp --config.entrypoint /bin/sidecar-injector
        --config.cmd -c --config.cmd /tls/tls.crt --config.cmd -k --config.cmd /tls/tls.key)
      ;;
  esac
  umoci new --image "$work/oci:$name" >/dev/null
  umoci insert --image "$work/oci:$name" "$root" / >/dev/null
  umoci config --image "$work/oci:$name" "${config[@]}" >/dev/null
  for tag in 1 latest; do
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:$name" "docker://$ADDR/skiff/$name:$tag" >/dev/null
  done
}

stamp() { { cat "$SCRIPT" "$SOURCES"/*.c /bin/busybox; echo "${IMAGES[*]}"; } | sha256sum | cut -d' ' -f1; }

present() { curl -fsS -o /dev/null --max-time 2 -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$ADDR/v2/skiff/$1/manifests/1" 2>/dev/null; }

build_images() {
  answers || { echo "skiff: no registry answers on http://$ADDR (run scripts/images.sh start)" >&2; exit 1; }
  local want all=1
  want="$(stamp)"
  for name in "${IMAGES[@]}"; do present "$name" || all=0; done
  if ((all)) && [[ -f "$REG_DIR/images.stamp" && "$(cat "$REG_DIR/images.stamp")" == "$want" ]]; then
    echo "skiff: images ${IMAGES[*]/#/skiff/} already in http://$ADDR"
    return 0
  fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  umoci init --layout "$work/oci" >/dev/null
  for name in "${IMAGES[@]}"; do
    build_one "$name" "$work"
    echo "skiff: pushed $ADDR/skiff/$name:1 (and :latest)"
  done
  mkdir -p "$REG_DIR"
  echo "$want" >"$REG_DIR/images.stamp"
}

case "${1:-all}" in
  all) start_registry; build_images ;;
  start) start_registry ;;
  build) build_images ;;
  stop) stop_registry ;;
  status)
    if running; then echo "skiff: registry running (pid $(cat "$PIDFILE")) on http://$ADDR"; else echo "skiff: registry not started by this script"; fi
    answers && curl -fsS "http://$ADDR/v2/_catalog" && echo
    ;;
  *) echo "usage: $0 [all|start|build|stop|status]" >&2; exit 2 ;;
esac
