#!/usr/bin/env bash
# Debian's Chromium for the browser test (__tests__/browser/), which draws the comment's Mermaid chart with the
# mermaid library and checks the SVG. Called by `npm test`'s pretest.
#
# Usage: bash scripts/setup-chromium.sh   (idempotent; returns at once when /usr/bin/chromium and a font are there)
# Installs Debian's `chromium` and `fonts-dejavu-core` (text in the chart needs a font; a clean machine may have
# none) with apt-get, from Debian's mirror, as root or through sudo. Nothing else is downloaded: playwright-core
# drives this Chromium and fetches no browser of its own.
set -euo pipefail

# ISR_CHROMIUM names another Chromium-based browser to draw with (GitHub's Ubuntu runners have Google Chrome at
# /usr/bin/google-chrome, and Ubuntu's `chromium` package is only a snap stub): nothing is installed then.
if [ -n "${ISR_CHROMIUM:-}" ]; then
  [ -x "$ISR_CHROMIUM" ] || { echo "setup-chromium: ISR_CHROMIUM is $ISR_CHROMIUM, which is not an executable" >&2; exit 1; }
  exit 0
fi
have() { [ -x /usr/bin/chromium ] && [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; }
if have; then
  exit 0
fi

echo "setup-chromium: installing Debian's chromium and fonts-dejavu-core" >&2
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
apt_log=$(mktemp)
packages=(chromium fonts-dejavu-core)
install() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${packages[@]}"; }
# apt's chatter goes to a log, shown only when the install fails; the package lists are refreshed only when needed.
if ! { install || { $sudo apt-get -o DPkg::Lock::Timeout=300 update -q && install; }; } >"$apt_log" 2>&1; then
  cat "$apt_log" >&2
  echo "setup-chromium: could not install ${packages[*]}" >&2
  exit 1
fi
rm -f "$apt_log"
have || { echo "setup-chromium: /usr/bin/chromium is still missing after the install" >&2; exit 1; }
