#!/usr/bin/env bash
# A real image registry on loopback for the tests that check our compressed sizes against what a registry records
# after a push: Debian's `docker-registry` package (CNCF distribution 2.8), started by hand (no systemd needed).
#
# Usage: bash scripts/setup-registry.sh      (idempotent; returns at once when the registry already answers)
# Listens on 127.0.0.1:5000 (REGISTRY_ADDR to change it). Storage and log go under REGISTRY_ROOT, by default
# /var/lib/image-size-report-registry when it can be written, else a folder in the temp dir.
# A Docker daemon treats registries on 127.0.0.0/8 as insecure-allowed by default, so `docker push
# 127.0.0.1:5000/name:tag` works over plain HTTP without any daemon setting.
set -euo pipefail

addr=${REGISTRY_ADDR:-127.0.0.1:5000}

# The registry client's tests (__tests__/registry/) start more registries themselves and need: htpasswd (bcrypt
# hashes for the basic-auth registry), zstd (a zstd layer: Node 20's zlib has none), openssl (the TLS CA), curl.
missing=()
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-registry: installing Debian's ${missing[*]} for the registry tests" >&2
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  tools_log=$(mktemp)
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" ||
    { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; }; } >"$tools_log" 2>&1; then
    cat "$tools_log" >&2
    echo "setup-registry: could not install ${missing[*]}" >&2
    exit 1
  fi
  rm -f "$tools_log"
fi
url="http://$addr/v2/"

up() { curl -fs --max-time 2 -o /dev/null "$url"; }

if up; then
  exit 0
fi

if [ -z "${REGISTRY_ROOT:-}" ]; then
  REGISTRY_ROOT=/var/lib/image-size-report-registry
  if ! mkdir -p "$REGISTRY_ROOT" 2>/dev/null || [ ! -w "$REGISTRY_ROOT" ]; then
    REGISTRY_ROOT=${TMPDIR:-/tmp}/image-size-report-registry
  fi
fi
mkdir -p "$REGISTRY_ROOT/storage"

# Two callers at once (parallel test files, a developer and a test run) must not start two servers.
exec 9>"$REGISTRY_ROOT/setup.lock"
flock 9
if up; then
  exit 0
fi

if ! command -v docker-registry >/dev/null 2>&1; then
  echo "setup-registry: installing Debian's docker-registry package" >&2
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  apt_log=$(mktemp)
  # apt's chatter goes to a log, shown only when the install fails.
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry ||
    { $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry; }; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "setup-registry: could not install docker-registry" >&2
    exit 1
  fi
  rm -f "$apt_log"
  # Without systemd the package's own service (on :5000, with htpasswd auth) is not started; ours is, below.
fi

config="$REGISTRY_ROOT/config.yml"
cat >"$config" <<EOF
version: 0.1
log:
  accesslog:
    disabled: true
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_ROOT/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $addr
  secret: image-size-report-local-registry
  headers:
    X-Content-Type-Options: [nosniff]
EOF

log="$REGISTRY_ROOT/registry.log"
# setsid + nohup: the server outlives this script and the shell that ran it; 9>&-: it must not inherit the lock.
nohup setsid docker-registry serve "$config" >>"$log" 2>&1 </dev/null 9>&- &
echo $! >"$REGISTRY_ROOT/registry.pid"

for _ in $(seq 1 100); do
  if up; then
    exit 0
  fi
  if ! kill -0 "$(cat "$REGISTRY_ROOT/registry.pid")" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "setup-registry: the registry did not answer at $url; its log ($log) ends with:" >&2
tail -n 20 "$log" >&2 || true
exit 1
