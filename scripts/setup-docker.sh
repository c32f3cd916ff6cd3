#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine, and (with --base-images) that the
# base images the examples and tests use exist locally.
#
# Usage: bash scripts/setup-docker.sh [--base-images] [--platforms]
#
# Idempotent: on a machine where `docker info` answers and the images exist it does nothing.
#   - No engine answering: install Debian's docker.io if dockerd/docker are missing, start dockerd
#     in the background (detached, logging to ${TMPDIR:-/tmp}/setup-docker-dockerd.log) and wait
#     until `docker info` answers.
#   - --base-images: busybox:latest and debian:bookworm-slim. Each is pulled when a registry
#     answers quickly; otherwise it is built locally (busybox from Debian's busybox-static,
#     debian:bookworm-slim with debootstrap, trimmed like the published slim image).
#   - --platforms: a second platform, linux/arm64, as a runner with docker/setup-qemu-action has
#     it: QEMU registered with binfmt_misc (Debian's qemu-user-static and binfmt-support;
#     binfmt_misc mounted when it is not), and busybox:arm64 (FROM scratch with Debian's
#     busybox-static:arm64, fetched with private apt lists: the system's apt state does not
#     change) beside busybox:amd64 (a tag of busybox:latest). A Dockerfile picks one with
#     `ARG TARGETARCH` + `FROM busybox:${TARGETARCH}`.
#
# Environment (all optional):
#   SETUP_DOCKER_PULL_TIMEOUT   seconds a pull may take to reach the registry (default 5)
#   SETUP_DOCKER_PULL_MAX       seconds a pull that reached the registry may take (default 600)
#   SETUP_DOCKER_START_TIMEOUT  seconds to wait for dockerd to answer (default 60)
#   SETUP_DOCKER_MIRROR         Debian mirror for debootstrap and the image's sources
#                               (default http://deb.debian.org/debian)
set -euo pipefail

PULL_TIMEOUT=${SETUP_DOCKER_PULL_TIMEOUT:-5}
PULL_MAX=${SETUP_DOCKER_PULL_MAX:-600}
START_TIMEOUT=${SETUP_DOCKER_START_TIMEOUT:-60}
MIRROR=${SETUP_DOCKER_MIRROR:-http://deb.debian.org/debian}
TMP_ROOT=${TMPDIR:-/tmp}
DOCKERD_LOG=$TMP_ROOT/setup-docker-dockerd.log
STEP_LOG=$TMP_ROOT/setup-docker.log
# debootstrap creates device nodes and runs programs in its target: keep it off /tmp, which
# may be a nodev/noexec tmpfs.
WORK_ROOT=${TMPDIR:-/var/tmp}

say() { printf 'setup-docker: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

BASE_IMAGES=0
PLATFORMS=0
for arg in "$@"; do
  case $arg in
    --base-images) BASE_IMAGES=1 ;;
    --platforms) PLATFORMS=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage; die "unknown argument: $arg" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# helpers

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# Run a command as root: directly when we are root, through sudo otherwise.
# require_root (before any as_root) says what to do when neither works.
as_root() {
  if [ "$IS_ROOT" = 1 ]; then "$@"; else sudo "$@"; fi
}
require_root() {
  [ "$IS_ROOT" = 1 ] || command -v sudo >/dev/null 2>&1 && return 0
  die "$1 needs root: this script is not running as root and sudo is not installed. Run it as root, or install sudo, or set up Docker yourself (apt-get install docker.io, start dockerd, and for --base-images see this script's build steps)."
}

# Temporary directories to remove on exit; ROOTFS (debootstrap's target) gets special care.
TEMP_DIRS=()
ROOTFS=
cleanup() {
  if [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ]; then
    # Never delete through a mount that debootstrap may have left behind (proc, sys, dev).
    local m
    # shellcheck disable=SC2013
    for m in $(awk -v r="$ROOTFS" 'index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r); do
      as_root umount -l "$m" 2>/dev/null || true
    done
    as_root rm -rf --one-file-system "$ROOTFS" 2>/dev/null || true
    ROOTFS=
  fi
  local d
  for d in "${TEMP_DIRS[@]}"; do rm -rf "$d"; done
  TEMP_DIRS=()
}
trap cleanup EXIT

: >"$STEP_LOG" 2>/dev/null || STEP_LOG=$(mktemp)
# Run a noisy command with its output going to the step log; on failure show the log's tail.
quiet() {
  printf '\n$ %s\n' "$*" >>"$STEP_LOG"
  if ! "$@" >>"$STEP_LOG" 2>&1 </dev/null; then
    say "failed: $*"
    say "last lines of $STEP_LOG:"
    tail -n 25 "$STEP_LOG" >&2
    exit 1
  fi
}

APT=(env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
APT_UPDATED=0
apt_update() {
  [ "$APT_UPDATED" = 0 ] || return 0
  require_root "apt-get update"
  printf '\n$ apt-get update\n' >>"$STEP_LOG"
  # A broken third-party source makes apt-get update fail although Debian's lists were
  # fetched: carry on, what comes next says whether it matters.
  if ! as_root "${APT[@]}" update >>"$STEP_LOG" 2>&1 </dev/null; then
    say "warning: apt-get update reported errors (see $STEP_LOG); carrying on"
  fi
  APT_UPDATED=1
}
apt_install() {
  require_root "apt-get install $*"
  apt_update
  quiet as_root "${APT[@]}" install -y "$@"
}

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# ---------------------------------------------------------------------------------------------
# the engine

ENGINE_ERROR=
engine_answers() {
  have docker || { ENGINE_ERROR="no docker CLI"; return 1; }
  # The 28.x CLI prints nothing and exits 0 from `docker info --format` when the daemon refuses
  # the request (e.g. "client version 1.50 is too new"): demand an answer.
  local out
  if out=$(timeout 20 docker info --format '{{.ServerVersion}}' 2>/dev/null) && [ -n "$out" ]; then
    return 0
  fi
  ENGINE_ERROR=$(timeout 20 docker version --format '{{.Server.Version}}' 2>&1 >/dev/null) || true
  # A client pinned to a newer API than the daemon speaks (DOCKER_API_VERSION set too high, or
  # a client that cannot negotiate): pin it to the daemon's maximum and tell the caller.
  local max
  max=$(printf '%s' "$ENGINE_ERROR" | sed -n 's/.*[Mm]aximum supported API version is \([0-9.]*\).*/\1/p' | head -n1)
  if [ -n "$max" ] && [ "${DOCKER_API_VERSION:-}" != "$max" ]; then
    export DOCKER_API_VERSION=$max
    say "the docker CLI speaks a newer API than the daemon: use 'export DOCKER_API_VERSION=$max'"
    if [ -n "${GITHUB_ENV:-}" ]; then echo "DOCKER_API_VERSION=$max" >>"$GITHUB_ENV"; fi
    out=$(timeout 20 docker info --format '{{.ServerVersion}}' 2>/dev/null) && [ -n "$out" ] && return 0
  fi
  return 1
}

install_engine() {
  say "installing docker.io from Debian's packages…"
  local t0=$SECONDS
  apt_install docker.io
  say "installed docker.io ($((SECONDS - t0)) s)"
}

# The engine of the default socket: the dockerd of the default pidfile, if it is alive (other engines, each with
# a pidfile and socket of its own, may run beside it and are not this one).
dockerd_pids() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 0
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
  return 0
}

start_engine() {
  local dockerd pid=""
  dockerd=$(command -v dockerd || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; } || true)
  [ -n "$dockerd" ] || die "dockerd not found after installing docker.io"

  if [ -n "$(dockerd_pids)" ]; then
    say "dockerd is already running; waiting for it to answer…"
  else
    require_root "starting dockerd"
    say "starting dockerd (log: $DOCKERD_LOG)…"
    local cmd=(setsid)
    [ "$IS_ROOT" = 1 ] || cmd=(sudo setsid)
    # In its own session (safe from the hangup and process-group kills that end this script's
    # caller), with every descriptor above stderr closed so that no pipe of the caller's (e.g.
    # `setup-docker.sh 2>&1 | tee`) stays open in it for as long as the engine runs.
    # shellcheck disable=SC2016
    cmd+=(bash -c 'for fd in $(ls /proc/$$/fd); do [ "$fd" -le 2 ] || eval "exec $fd>&-"; done
                   exec nohup "$@"' setup-docker "$dockerd")
    # Let the invoking (non-root) user reach the socket without joining the docker group.
    [ "$IS_ROOT" = 1 ] || cmd+=(--group "$(id -gn)")
    : >"$DOCKERD_LOG"
    # A simple command, not a function, so that no copy of this shell lingers as its parent.
    "${cmd[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
    disown "$pid" 2>/dev/null || true
  fi

  local t0=$SECONDS
  until engine_answers; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && [ -z "$(dockerd_pids)" ]; then
      say "dockerd exited; last lines of $DOCKERD_LOG:"
      tail -n 25 "$DOCKERD_LOG" >&2
      die "the Docker engine did not start"
    fi
    if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
      say "no answer from the engine after ${START_TIMEOUT} s: ${ENGINE_ERROR:-}"
      if [ -s "$DOCKERD_LOG" ]; then
        say "last lines of $DOCKERD_LOG:"
        tail -n 25 "$DOCKERD_LOG" >&2
      fi
      die "the Docker engine did not answer"
    fi
    sleep 0.5
  done
  say "engine is up ($((SECONDS - t0)) s; server $(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || echo '?'))"
}

ensure_engine() {
  if engine_answers; then
    return 0
  fi
  if ! have dockerd || ! have docker; then
    install_engine
  fi
  start_engine
}

# ---------------------------------------------------------------------------------------------
# base images

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Pull $1 if a registry answers within PULL_TIMEOUT seconds. A pull that has reached the
# registry ("Pulling from …") is given up to PULL_MAX seconds to finish.
try_pull() {
  local ref=$1 out pid ticks=0 reached=0 rc
  out=$(mktemp)
  docker pull "$ref" >"$out" 2>&1 </dev/null &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$reached" = 0 ] && grep -q -e 'Pulling from' -e 'Digest:' "$out"; then
      reached=1
      say "pulling $ref…"
    fi
    if [ "$reached" = 0 ] && [ "$ticks" -ge $((PULL_TIMEOUT * 10)) ]; then break; fi
    if [ "$ticks" -ge $((PULL_MAX * 10)) ]; then break; fi
    sleep 0.1
    ticks=$((ticks + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rc=124
  else
    rc=0
    wait "$pid" || rc=$?
  fi
  { printf '\n$ docker pull %s (exit %s)\n' "$ref" "$rc"; cat "$out"; } >>"$STEP_LOG"
  if [ "$rc" = 124 ]; then
    say "no answer from a registry for $ref within ${PULL_TIMEOUT} s"
  elif [ "$rc" != 0 ]; then
    say "cannot pull $ref: $(tail -n 1 "$out" | cut -c1-160)"
  fi
  rm -f "$out"
  [ "$rc" = 0 ] && image_exists "$ref"
}

dpkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# busybox:latest: FROM scratch with Debian's statically linked busybox and a hard link per applet
# in /bin, like the published image.
build_busybox() {
  local ref=$1 dir bb
  dir=$(mktemp -d "$WORK_ROOT/setup-docker-busybox.XXXXXX")
  TEMP_DIRS+=("$dir")
  if dpkg_installed busybox-static; then
    bb=/bin/busybox
  else
    # Take the binary out of the package rather than installing it: busybox-static conflicts
    # with the (dynamically linked) busybox package that many systems have.
    say "fetching Debian's busybox-static…"
    printf '\n$ apt-get download busybox-static\n' >>"$STEP_LOG"
    if ! (cd "$dir" && apt-get -q download busybox-static) >>"$STEP_LOG" 2>&1 </dev/null; then
      apt_update
      quiet bash -c "cd '$dir' && apt-get -q download busybox-static"
    fi
    quiet dpkg-deb -x "$dir"/busybox-static_*.deb "$dir/pkg"
    bb=$dir/pkg/bin/busybox
  fi
  local root=$dir/rootfs applet
  mkdir -p "$root"/{bin,etc,root,tmp,home,var/spool/mail,var/www,usr/sbin}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp "$bb" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln "$root/bin/busybox" "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n' >"$root/etc/group"
  quiet bash -c "set -o pipefail; tar --numeric-owner --owner=0 --group=0 -C '$root' -c . | docker import -c 'CMD [\"sh\"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - '$ref'"
  cleanup
}

# debian:bookworm-slim: debootstrap's minbase variant (the same package set as the published
# image), trimmed and configured the way the published slim image is.
build_debian_slim() {
  local ref=$1
  require_root "debootstrap"
  if ! have debootstrap; then
    say "installing debootstrap…"
    apt_install debootstrap
  fi
  local debootstrap
  debootstrap=$(command -v debootstrap || echo /usr/sbin/debootstrap)
  ROOTFS=$(mktemp -d "$WORK_ROOT/setup-docker-rootfs.XXXXXX")
  say "running debootstrap --variant=minbase bookworm (about a minute)…"
  local t0=$SECONDS
  quiet as_root "$debootstrap" --variant=minbase bookworm "$ROOTFS" "$MIRROR"
  say "debootstrap done ($((SECONDS - t0)) s); trimming"
  # debootstrap unmounts what it mounted; make sure before touching the tree.
  if awk -v r="$ROOTFS" 'index($2, r "/") == 1 { f = 1 } END { exit !f }' /proc/mounts; then
    die "something is still mounted under $ROOTFS"
  fi
  # shellcheck disable=SC2016
  quiet as_root env ROOTFS="$ROOTFS" MIRROR="$MIRROR" bash -euo pipefail -c '
    cd "$ROOTFS"
    # Empty caches, lists and docs (copyright files and locale.alias stay, as in the real image).
    rm -rf var/cache/apt/* var/lib/apt/lists/*
    mkdir -p var/cache/apt/archives/partial var/lib/apt/lists/partial
    find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
    find usr/share/doc -mindepth 1 -type d -empty -delete
    find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf usr/share/man/* usr/share/info/* usr/share/lintian/overrides/* usr/share/linda/*
    # Keep them out of later installs too.
    cat > etc/dpkg/dpkg.cfg.d/docker <<EOF
# Trimmed like the published debian:*-slim images: no documentation, manuals or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
    echo force-unsafe-io > etc/dpkg/dpkg.cfg.d/docker-apt-speedup
    # The apt settings the published images carry.
    printf "%s\n" "#!/bin/sh" "exit 101" > usr/sbin/policy-rc.d
    chmod 0755 usr/sbin/policy-rc.d
    clean="\"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\";"
    cat > etc/apt/apt.conf.d/docker-clean <<EOF
DPkg::Post-Invoke { $clean };
APT::Update::Post-Invoke { $clean };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo "Apt::AutoRemove::SuggestsImportant \"false\";" > etc/apt/apt.conf.d/docker-autoremove-suggests
    echo "Acquire::GzipIndexes \"true\";" > etc/apt/apt.conf.d/docker-gzip-indexes
    echo "Acquire::Languages \"none\";" > etc/apt/apt.conf.d/docker-no-languages
    # Debian mirror, updates and security, as /etc/apt/sources.list.d/debian.sources.
    rm -f etc/apt/sources.list
    security=${MIRROR%/debian}/debian-security
    [ "$security" != "$MIRROR/debian-security" ] || security=http://deb.debian.org/debian-security
    cat > etc/apt/sources.list.d/debian.sources <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    # Nothing of the machine that built it: Docker provides these at run time.
    rm -rf dev/* run/* tmp/* var/tmp/* var/log/bootstrap.log var/cache/ldconfig/aux-cache
    rm -f etc/resolv.conf etc/hostname etc/machine-id
    : > etc/hostname
  '
  say "importing $ref…"
  quiet as_root bash -c "set -o pipefail; tar --numeric-owner -C '$ROOTFS' -c . | docker import -c 'CMD [\"bash\"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - '$ref'"
  cleanup
}

# ---------------------------------------------------------------------------------------------
# a second platform: QEMU and an arm64 busybox

# QEMU for arm64 binaries, registered with the F flag (the interpreter is opened at registration, so
# it works inside containers), as docker/setup-qemu-action registers it on a runner.
ensure_qemu() {
  local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
  if [ -f "$entry" ] && head -n1 "$entry" | grep -qx enabled && grep -q '^flags:.*F' "$entry"; then return 0; fi
  require_root "registering QEMU"
  if ! have update-binfmts || ! have qemu-aarch64-static; then
    say "installing Debian's qemu-user-static and binfmt-support…"
    apt_install qemu-user-static binfmt-support
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    quiet as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  quiet as_root update-binfmts --enable qemu-aarch64
  [ -f "$entry" ] && head -n1 "$entry" | grep -qx enabled ||
    die "QEMU for arm64 is not registered ($entry is missing or disabled); see $STEP_LOG"
  grep -q '^flags:.*F' "$entry" ||
    die "QEMU for arm64 is registered without the F flag, so containers cannot use it; re-register it (update-binfmts --disable qemu-aarch64; update-binfmts --enable qemu-aarch64 with qemu-user-static's F flag)"
  say "QEMU registered for linux/arm64"
}

# busybox:arm64: like busybox:latest, from Debian's busybox-static:arm64. apt reads its own lists for
# arm64 in a temporary folder: nothing of the system's apt state (or dpkg's architectures) changes.
build_busybox_arm64() {
  local ref=$1 dir root
  dir=$(mktemp -d "$WORK_ROOT/setup-docker-busybox-arm64.XXXXXX")
  TEMP_DIRS+=("$dir")
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
  local apt=(apt-get -q -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Dir::State::Lists="$dir/lists"
    -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  say "fetching Debian's busybox-static:arm64…"
  quiet "${apt[@]}" update
  quiet bash -c "cd '$dir/debs' && $(printf '%q ' "${apt[@]}") download busybox-static:arm64"
  quiet dpkg-deb -x "$dir"/debs/busybox-static_*_arm64.deb "$dir/pkg"
  root=$dir/root
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  cp "$dir/pkg/bin/busybox" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  # the applet list of the amd64 build: the same package version, the same applets
  for applet in $(docker run --rm --network none busybox:latest busybox --list); do
    [ "$applet" = busybox ] || ln "$root/bin/busybox" "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  # Built rather than imported, so that its config says linux/arm64 (20.10's import ignores --platform).
  mkdir -p "$dir/context"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$dir/context/rootfs.tar" .
  printf '%s\n' 'FROM scratch' 'ADD rootfs.tar /' 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'CMD ["sh"]' >"$dir/context/Dockerfile"
  quiet env DOCKER_BUILDKIT=1 docker build --platform linux/arm64 -t "$ref" "$dir/context"
}

ensure_platform_images() {
  image_exists busybox:amd64 || docker tag busybox:latest busybox:amd64
  local t0=$SECONDS
  if ! image_exists busybox:arm64; then build_busybox_arm64 busybox:arm64; fi
  local got
  got=$(docker run --rm --network none --platform linux/arm64 busybox:arm64 uname -m 2>&1) || true
  [ "$got" = aarch64 ] || die "busybox:arm64 does not run under QEMU (uname -m said: $got)"
  say "busybox:arm64 ready, runs under QEMU ($((SECONDS - t0)) s)"
}

ensure_image() {
  local ref=$1 builder=$2 check=$3 t0=$SECONDS
  image_exists "$ref" && return 0
  if ! try_pull "$ref"; then
    say "building $ref…"
    "$builder" "$ref"
  fi
  # The image must run a shell.
  local got
  got=$(docker run --rm --network none "$ref" "$check" -c 'echo ok' 2>&1) || true
  [ "$got" = ok ] || die "$ref was created but does not run '$check -c \"echo ok\"': $got"
  say "$ref ready ($((SECONDS - t0)) s, $(docker image inspect -f '{{.Size}}' "$ref" | awk '{ printf "%.1f MB", $1 / 1e6 }'))"
}

# ---------------------------------------------------------------------------------------------

ensure_engine
if [ "$BASE_IMAGES" = 1 ]; then
  ensure_image busybox:latest build_busybox sh
  ensure_image debian:bookworm-slim build_debian_slim bash
fi
if [ "$PLATFORMS" = 1 ]; then
  ensure_qemu
  ensure_image busybox:latest build_busybox sh
  ensure_platform_images
fi
