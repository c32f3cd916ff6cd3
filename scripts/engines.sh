#!/usr/bin/env bash
# The Docker engines the integration tests run against (the matrix in __tests__/engines.json): install them,
# start them, stop them. `npm test` runs `start` first (the pretest script), so a fresh machine needs nothing else.
#
# Usage:
#   bash scripts/engines.sh start [NAME...]     install what is missing and start the engines (default: the
#                                              matrix, or the names in ISR_ENGINES); idempotent
#   bash scripts/engines.sh install             only install: Debian 12's docker.io (20.10) and Docker 28.5
#                                              from Debian testing ("forky"), unpacked beside the system's
#   bash scripts/engines.sh host NAME           print the engine's DOCKER_HOST
#   bash scripts/engines.sh stop [NAME...]      stop the 28.5 engines (the 20.10 one is the system's: left running)
#   bash scripts/engines.sh names               print the matrix's names, one a line
#   bash scripts/engines.sh private NAME [LIKE] start a private engine like the matrix's LIKE (default
#                                              docker-28.5-overlay2) and print `export DOCKER_HOST=…` for it
#   bash scripts/engines.sh stop-private NAME   stop it
#
# The engines:
#   docker-20.10            Debian 12's docker.io on the default socket (overlay2, legacy save format, Go 1.19);
#                           started by scripts/setup-docker.sh, which also makes the base images.
#   docker-28.5-overlay2    Debian forky's docker.io 28.5 (Go 1.27) with the overlay2 graph driver.
#   docker-28.5-containerd  the same with the containerd image store ("containerd-snapshotter": true).
# Each 28.5 engine has its own socket, data root, exec root, pidfile and bridge (with NAT, so RUN steps reach
# Debian's mirror), and runs its own containerd (forky's 2.1) with Debian 12's runc (forky's needs a newer glibc).
# Base images (busybox:latest, debian:bookworm-slim) come from the 20.10 engine: loaded into the overlay2 one,
# and pulled through the local registry (scripts/setup-registry.sh) into the containerd one, so that its blobs
# are compressed as they are after a pull from Docker Hub on a real runner.
# A second platform (setup-docker.sh --platforms): QEMU registered for linux/arm64, busybox:amd64 and busybox:arm64
# (one platform each, as a graph driver's tag holds one), and on the containerd store also busybox:multi, one tag
# holding both platforms (an index made with `docker buildx imagetools create` in the local registry, then
# `docker pull --platform` of each), as a published multi-platform base image is after pulls of both platforms.
#
# Environment (all optional):
#   ISR_ENGINES          the engines to start when no name is given (comma or space separated)
#   ISR_ENGINES_HOME     where Docker 28.5 is unpacked and the engines keep their data
#                        (default /var/lib/image-size-report-engines)
#   ISR_DEBIAN_MIRROR    Debian mirror for forky's packages (default: this machine's, else deb.debian.org)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MATRIX=$ROOT/__tests__/engines.json
HOME_DIR=${ISR_ENGINES_HOME:-/var/lib/image-size-report-engines}
RUN_DIR=/run/image-size-report
DOCKER_28_DIR=$HOME_DIR/docker-28.5
LOG_DIR=${TMPDIR:-/tmp}
START_TIMEOUT=${SETUP_DOCKER_START_TIMEOUT:-60}
BASE_IMAGES=(busybox:latest debian:bookworm-slim busybox:amd64 busybox:arm64)
REGISTRY=${REGISTRY_ADDR:-127.0.0.1:5000}

say() { printf 'engines: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

# A field of an engine in the matrix ('' when it has none).
field() {
  node -e '
    const [file, name, key] = process.argv.slice(1);
    const engine = JSON.parse(require("fs").readFileSync(file, "utf8")).engines.find((e) => e.name === name);
    if (!engine) { console.error(`engines: no engine "${name}" in ${file}`); process.exit(2); }
    process.stdout.write(String(engine[key] ?? ""));
  ' "$MATRIX" "$1" "$2"
}
names() { node -e 'for (const e of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).engines) console.log(e.name)' "$MATRIX"; }

require_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (it starts a Docker engine). Run it as root, e.g. with sudo."; }

answers() { local out; out=$(DOCKER_HOST=$1 timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null) && [ -n "$out" ]; }

# ---------------------------------------------------------------------------------------------------------------
# Docker 28.5 from Debian forky, unpacked into DOCKER_28_DIR (nothing of the system changes)

install_28() {
  if [ -x "$DOCKER_28_DIR/usr/sbin/dockerd" ] && [ -f "$DOCKER_28_DIR/.complete" ]; then return 0; fi
  require_root "installing Docker 28.5"
  command -v dpkg-deb >/dev/null || die "dpkg-deb is missing: this script unpacks Debian packages"
  local mirror=${ISR_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n1 || true)
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  fi
  local work; work=$(mktemp -d "${TMPDIR:-/tmp}/engines-forky.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT
  mkdir -p "$work/lists/partial" "$work/debs"
  echo "deb $mirror forky main" >"$work/sources.list"
  local apt=(apt-get -q -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$work/lists"
    -o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root)
  say "fetching Docker 28.5 (docker.io, containerd, docker-buildx) from Debian forky at $mirror…"
  local t0=$SECONDS log=$work/apt.log
  if ! "${apt[@]}" update >"$log" 2>&1; then tail -n 20 "$log" >&2; die "apt-get update of Debian forky failed"; fi
  local version
  version=$(apt-cache -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$work/lists" \
    show docker.io 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
  case $version in
    28.5.*) ;;
    '') die "Debian forky has no docker.io package at $mirror" ;;
    *) die "Debian forky now has docker.io $version, not 28.5: the matrix in $MATRIX names 28.5; update it and this script" ;;
  esac
  if ! (cd "$work/debs" && "${apt[@]}" download docker.io containerd docker-buildx) >"$log" 2>&1; then
    tail -n 20 "$log" >&2; die "downloading forky's docker.io, containerd and docker-buildx failed"
  fi
  rm -rf "$DOCKER_28_DIR"
  mkdir -p "$DOCKER_28_DIR"
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$DOCKER_28_DIR"; done
  # forky's runc needs glibc 2.38: leave it out, so that Debian 12's runc (docker.io's dependency) is used
  rm -f "$DOCKER_28_DIR/usr/sbin/runc" "$DOCKER_28_DIR/usr/bin/runc"
  echo "$version" >"$DOCKER_28_DIR/.complete"
  rm -rf "$work"
  trap - EXIT
  say "Docker $version unpacked in $DOCKER_28_DIR ($((SECONDS - t0)) s)"
}

# `docker buildx` (for the bench): where the docker CLI looks for plugins whatever its --config says.
install_buildx() {
  local plugins=/usr/local/lib/docker/cli-plugins
  [ -x "$plugins/docker-buildx" ] && return 0
  [ -x "$DOCKER_28_DIR/usr/libexec/docker/cli-plugins/docker-buildx" ] || return 0
  mkdir -p "$plugins" && cp "$DOCKER_28_DIR/usr/libexec/docker/cli-plugins/docker-buildx" "$plugins/"
}

install_all() {
  bash scripts/setup-docker.sh # Debian 12's docker.io, the system's engine: also the source of the base images
  install_28
  install_buildx
}

# ---------------------------------------------------------------------------------------------------------------
# starting and stopping a 28.5 engine

# The engine's own bridge, with NAT to the outside like docker0 (the engine itself runs with --iptables=false, so
# that two engines never rewrite each other's rules).
ensure_bridge() {
  local bridge=$1 subnet=$2
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$subnet.1/24" dev "$bridge"
  fi
  ip link set "$bridge" up
  sysctl -qw net.ipv4.ip_forward=1
  iptables -t nat -C POSTROUTING -s "$subnet.0/24" ! -o "$bridge" -j MASQUERADE 2>/dev/null ||
    iptables -t nat -A POSTROUTING -s "$subnet.0/24" ! -o "$bridge" -j MASQUERADE
  iptables -C FORWARD -i "$bridge" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$bridge" -j ACCEPT
  iptables -C FORWARD -o "$bridge" -j ACCEPT 2>/dev/null || iptables -I FORWARD -o "$bridge" -j ACCEPT
}

# Start a dockerd: NAME (for logs and files), DOCKER (20.10: the system's binary; 28.5: forky's), STORE, HOST
# (unix socket), BRIDGE, SUBNET (first three octets). Returns at once when something answers at HOST.
start_dockerd() {
  local name=$1 docker=$2 store=$3 host=$4 bridge=$5 subnet=$6
  if answers "$host"; then return 0; fi
  require_root "starting $name"
  local path_prefix=
  if [ "$docker" = 28.5 ]; then install_28; path_prefix=$DOCKER_28_DIR/usr/bin:$DOCKER_28_DIR/usr/sbin:; fi
  local exec_root=/run/isr-$bridge data_root=$HOME_DIR/data/$name config=$HOME_DIR/$name.json
  local log=$LOG_DIR/engines-$name.log pidfile=$RUN_DIR/$name.pid
  mkdir -p "$RUN_DIR" "$data_root"
  ensure_bridge "$bridge" "$subnet"
  local snapshotter=false
  [ "$store" = containerd ] && snapshotter=true
  printf '{"features": {"containerd-snapshotter": %s}}\n' "$snapshotter" >"$config"
  # a pidfile left by an engine that died keeps the next one from starting
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  say "starting $name (log: $log)…"
  : >"$log"
  # In its own session, every descriptor above stderr closed (no pipe of the caller's stays open in it).
  # shellcheck disable=SC2016
  PATH=$path_prefix$PATH setsid bash -c \
    'for fd in $(ls /proc/$$/fd); do [ "$fd" -le 2 ] || eval "exec $fd>&-"; done; exec nohup "$@"' engines \
    dockerd --config-file "$config" --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pidfile" \
    --host "$host" --bridge="$bridge" --iptables=false --ip6tables=false </dev/null >>"$log" 2>&1 &
  disown $! 2>/dev/null || true
  local t0=$SECONDS
  until answers "$host"; do
    if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
      tail -n 25 "$log" >&2
      die "$name did not answer at $host within $START_TIMEOUT s"
    fi
    sleep 0.5
  done
  say "$name is up ($((SECONDS - t0)) s: $(DOCKER_HOST=$host docker version --format 'Docker {{.Server.Version}}, API {{.Server.APIVersion}}, {{.Server.GoVersion}}'))"
}

start_28() {
  local name=$1
  start_dockerd "$name" 28.5 "$(field "$name" store)" "$(field "$name" host)" "$(field "$name" bridge)" "$(field "$name" subnet)"
}

# The base images, copied from the system's engine (which setup-docker.sh gave them).
copy_base_images() {
  local name=$1 host=$2 store=$3 image
  for image in "${BASE_IMAGES[@]}"; do
    DOCKER_HOST=$host docker image inspect "$image" >/dev/null 2>&1 && continue
    local t0=$SECONDS
    if [ "$store" = containerd ]; then
      # through a registry, so the containerd store keeps compressed blobs, as after a pull on a real runner
      bash scripts/setup-registry.sh
      local staged=$REGISTRY/image-size-report-engines/$image
      docker tag "$image" "$staged" && docker push -q "$staged" >/dev/null && docker rmi -f "$staged" >/dev/null
      local platform=()
      [ "$image" = busybox:arm64 ] && platform=(--platform linux/arm64)
      DOCKER_HOST=$host docker pull -q "${platform[@]}" "$staged" >/dev/null
      DOCKER_HOST=$host docker tag "$staged" "$image"
      DOCKER_HOST=$host docker rmi "$staged" >/dev/null
    else
      docker save "$image" | DOCKER_HOST=$host docker load -q >/dev/null
    fi
    say "$image copied into $name ($((SECONDS - t0)) s)"
  done
  [ "$store" = containerd ] && multi_platform_base "$name" "$host"
  return 0
}

# busybox:multi in a containerd-store engine: one tag, both platforms (see the header).
multi_platform_base() {
  local name=$1 host=$2 image=busybox:multi
  local have
  have=$(DOCKER_HOST=$host docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || true
  if [ -n "$have" ] && DOCKER_HOST=$host docker image inspect --platform linux/arm64 "$image" >/dev/null 2>&1 &&
    DOCKER_HOST=$host docker image inspect --platform linux/amd64 "$image" >/dev/null 2>&1; then
    return 0
  fi
  local t0=$SECONDS staged=$REGISTRY/image-size-report-engines/busybox
  bash scripts/setup-registry.sh
  local arch
  for arch in amd64 arm64; do
    docker tag "busybox:$arch" "$staged:$arch" && docker push -q "$staged:$arch" >/dev/null && docker rmi "$staged:$arch" >/dev/null
  done
  DOCKER_HOST=$host docker buildx imagetools create -t "$staged:multi" "$staged:amd64" "$staged:arm64" >/dev/null 2>&1 ||
    die "docker buildx imagetools create of $staged:multi failed"
  for arch in amd64 arm64; do DOCKER_HOST=$host docker pull -q --platform "linux/$arch" "$staged:multi" >/dev/null; done
  DOCKER_HOST=$host docker tag "$staged:multi" "$image"
  DOCKER_HOST=$host docker rmi "$staged:multi" >/dev/null
  say "$image (linux/amd64 and linux/arm64) made in $name ($((SECONDS - t0)) s)"
}

stop_dockerd() {
  local name=$1 bridge=$2 subnet=$3 pidfile=$RUN_DIR/$1.pid pid
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$pidfile"
  fi
  iptables -t nat -D POSTROUTING -s "$subnet.0/24" ! -o "$bridge" -j MASQUERADE 2>/dev/null || true
  iptables -D FORWARD -i "$bridge" -j ACCEPT 2>/dev/null || true
  iptables -D FORWARD -o "$bridge" -j ACCEPT 2>/dev/null || true
  ip link del "$bridge" 2>/dev/null || true
  say "$name stopped"
}

# A private engine of a developer's or helper's, like one of the matrix's: its own socket, data, bridge and subnet
# (derived from NAME), so that parallel test runs never see each other's images.
private_engine() {
  local name=$1 like=$2
  [[ $name =~ ^[a-z0-9]{1,8}$ ]] || die "a private engine's name is 1 to 8 lower-case letters or digits (it names a bridge): got '$name'"
  local n=$(( $(printf %s "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))
  PRIVATE_NAME=dev-$name PRIVATE_HOST=unix://$RUN_DIR/dev-$name.sock PRIVATE_BRIDGE=isrd-$name PRIVATE_SUBNET=10.211.$n
  PRIVATE_DOCKER=$(field "$like" docker) PRIVATE_STORE=$(field "$like" store)
}

selected() {
  if [ $# -gt 0 ]; then printf '%s\n' "$@"; return; fi
  if [ -n "${ISR_ENGINES:-}" ]; then printf '%s\n' ${ISR_ENGINES//,/ }; return; fi
  names
}

command=${1:-start}
[ $# -gt 0 ] && shift
case $command in
  install) install_all ;;
  start)
    mapfile -t engines < <(selected "$@")
    # the system's engine first: it makes the base images the others copy
    bash scripts/setup-docker.sh --base-images --platforms
    for name in "${engines[@]}"; do
      [ "$(field "$name" docker)" = 20.10 ] && continue
      start_28 "$name"
      copy_base_images "$name" "$(field "$name" host)" "$(field "$name" store)"
    done
    install_buildx
    ;;
  host) field "${1:?usage: engines.sh host NAME}" host; echo ;;
  stop)
    mapfile -t engines < <(selected "$@")
    for name in "${engines[@]}"; do
      [ "$(field "$name" docker)" = 20.10 ] || stop_dockerd "$name" "$(field "$name" bridge)" "$(field "$name" subnet)"
    done
    ;;
  private)
    # engines.sh private NAME [LIKE]: start a private engine like LIKE (default docker-28.5-overlay2); prints the
    # export line for its DOCKER_HOST, e.g. eval "$(bash scripts/engines.sh private ab docker-28.5-containerd)"
    private_engine "${1:?usage: engines.sh private NAME [LIKE]}" "${2:-docker-28.5-overlay2}"
    bash scripts/setup-docker.sh --base-images --platforms >&2
    start_dockerd "$PRIVATE_NAME" "$PRIVATE_DOCKER" "$PRIVATE_STORE" "$PRIVATE_HOST" "$PRIVATE_BRIDGE" "$PRIVATE_SUBNET" >&2
    copy_base_images "$PRIVATE_NAME" "$PRIVATE_HOST" "$PRIVATE_STORE" >&2
    echo "export DOCKER_HOST=$PRIVATE_HOST"
    ;;
  stop-private)
    private_engine "${1:?usage: engines.sh stop-private NAME}" docker-28.5-overlay2
    stop_dockerd "$PRIVATE_NAME" "$PRIVATE_BRIDGE" "$PRIVATE_SUBNET"
    ;;
  names) names ;;
  -h | --help) usage ;;
  *) usage; die "unknown command: $command" ;;
esac
