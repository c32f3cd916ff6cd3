#!/usr/bin/env bash
# Regenerates the README's sample comment from a real run of the example app: a throwaway git repository holds
# examples/python-service as `main~1`, and a commit on top adds curl to the runtime stage (the pull request);
# the CLI, from this checkout's dist/, measures both sides cold on the engine DOCKER_HOST names (default: the
# system's Docker 20.10). The saved report goes to __tests__/fixtures/reports/example-pull-request.json and the
# printed comment replaces the README between <!-- SAMPLE-START --> and <!-- SAMPLE-END -->;
# __tests__/unit/readme-sample.test.ts holds the two equal. Takes several minutes (four cold builds, apt from Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r examples/python-service/. "$work/app"
cd "$work/app"
commit() { git -c user.name=example -c user.email=example@example.invalid commit -q "$@"; }
git init -q -b main
git add -A
commit -m 'the example app'
# the pull request: curl in the runtime stage
sed -i 's/--no-install-recommends python3-flask gunicorn \\/--no-install-recommends python3-flask gunicorn curl \\/' Dockerfile
grep -q 'gunicorn curl' Dockerfile || { echo "make-readme-sample: the runtime stage's install line was not found" >&2; exit 1; }
commit -am 'add curl to the runtime image'
status=0
node "$ROOT/dist/cli.js" --markdown --no-cache --base main~1 --cache-dir none --no-fail-on-budget \
  --json "$ROOT/__tests__/fixtures/reports/example-pull-request.json" >"$work/sample.md" || status=$?
[ "$status" = 0 ] || { echo "make-readme-sample: the run failed ($status)" >&2; exit "$status"; }
cd "$ROOT"
node - "$work/sample.md" <<'JS'
const fs = require('node:fs');
const sample = fs.readFileSync(process.argv[2], 'utf8').trim();
const readme = fs.readFileSync('README.md', 'utf8');
const start = readme.indexOf('<!-- SAMPLE-START -->') + '<!-- SAMPLE-START -->'.length;
const end = readme.indexOf('<!-- SAMPLE-END -->');
if (start < 0 || end < start) throw new Error('README.md has no SAMPLE-START/SAMPLE-END markers');
fs.writeFileSync('README.md', `${readme.slice(0, start)}\n\n---\n\n${sample}\n\n---\n\n${readme.slice(end)}`);
JS
echo "make-readme-sample: README.md and the fixture report written" >&2
