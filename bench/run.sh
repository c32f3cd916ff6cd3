#!/usr/bin/env bash
# The bench's entry point: bash bench/run.sh (or npm run bench). Installs the dependencies and builds dist/
# when they are missing, checks the Docker engine and the local base image, then runs bench/run.mjs, which
# prints the table and writes bench/RESULTS.md. Environment variables: see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
if [ ! -f dist/cli.js ] || [ "${BENCH_BUILD_DIST:-0}" = 1 ]; then
  npm run build
fi
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || bash scripts/setup-docker.sh
docker image inspect debian:bookworm-slim >/dev/null 2>&1 || bash scripts/setup-docker.sh --base-images

exec node bench/run.mjs "$@"
