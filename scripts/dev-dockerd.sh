#!/usr/bin/env bash
# A private Docker engine for one developer or helper, so parallel test runs do not see each other's images.
# Usage: eval "$(bash scripts/dev-dockerd.sh NAME)"   -> exports DOCKER_HOST for that engine.
# Its own bridge without NAT: RUN steps have no outside network. Base images (busybox, debian:bookworm-slim) are copied in from
# the main engine when it has them.
set -euo pipefail
name=${1:?usage: dev-dockerd.sh NAME}
sock=/run/docker-$name.sock
root=/var/lib/docker-$name
if ! DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1; then
  rm -f /run/docker-$name.pid
  mkdir -p "$root"
  bridge=br-$(printf %s "$name" | cut -c1-10)
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    n=$(( $(printf %s "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))
    ip link add "$bridge" type bridge && ip addr add "10.123.$n.1/24" dev "$bridge" && ip link set "$bridge" up
  fi
  nohup dockerd --data-root "$root" --exec-root /run/docker-$name-exec --pidfile /run/docker-$name.pid \
    --host unix://$sock --bridge=$bridge --iptables=false --ip-masq=false >/tmp/dockerd-$name.log 2>&1 &
  for _ in $(seq 1 60); do DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1 && break; sleep 0.5; done
  for image in busybox:latest debian:bookworm-slim; do
    if docker image inspect "$image" >/dev/null 2>&1 && ! DOCKER_HOST=unix://$sock docker image inspect "$image" >/dev/null 2>&1; then
      docker save "$image" | DOCKER_HOST=unix://$sock docker load >/dev/null
    fi
  done
fi
echo "export DOCKER_HOST=unix://$sock"
