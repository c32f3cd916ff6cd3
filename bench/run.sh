#!/usr/bin/env bash
# The bench's entry point: bash bench/run.sh (or npm run bench). Installs the dependencies and builds dist/
# when they are missing, checks the Docker engine and the local base image, then runs bench/run.mjs, which
# bundles the bench (bench/run.ts) from the sources in the tree and runs it: it prints the table and writes
# bench/RESULTS.md. Environment variables: see bench/README.md.
#
# The engine is the one DOCKER_HOST names (default: the local socket, Debian 12's engine, which
# scripts/setup-docker.sh starts and gives its base images). An engine of the test matrix (__tests__/engines.json,
# e.g. DOCKER_HOST=$(bash scripts/engines.sh host docker-28.5-containerd)) is started with its base images by
# scripts/engines.sh; any other engine must answer and hold debian:bookworm-slim already.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
if [ ! -f dist/cli.js ] || [ "${BENCH_BUILD_DIST:-0}" = 1 ]; then
  npm run build
fi

host=${DOCKER_HOST:-}
matrix_name=
if [ -n "$host" ]; then
  matrix_name=$(node -e '
    const m = JSON.parse(require("fs").readFileSync("__tests__/engines.json", "utf8"));
    process.stdout.write(m.engines.find((e) => e.host === process.argv[1])?.name ?? "");
  ' "$host")
fi
if [ -z "$host" ] || [ "$host" = unix:///var/run/docker.sock ]; then
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || bash scripts/setup-docker.sh
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 || bash scripts/setup-docker.sh --base-images
elif [ -n "$matrix_name" ]; then
  # idempotent: starts the engine if it is down, copies in the base images it lacks
  bash scripts/engines.sh start "$matrix_name"
else
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    { echo "bench: the engine at DOCKER_HOST=$host does not answer; start it (a private one: bash scripts/engines.sh private NAME)" >&2; exit 2; }
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 ||
    { echo "bench: debian:bookworm-slim is not in the engine at DOCKER_HOST=$host (scripts/engines.sh copies it into the engines it starts)" >&2; exit 2; }
fi

exec node bench/run.mjs "$@"
