#!/usr/bin/env bash
# Installs Debian's Chromium for the real-browser test (test/browser-real.e2e-spec.ts) when it is
# missing. playwright-core drives it; Playwright's own browser downloads are not used (CI has no
# network beyond the package registries). Idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $CHROMIUM"
  exit 0
fi
if [ "${SKIP_BROWSER_TESTS:-}" = "1" ]; then
  echo "chromium missing, SKIP_BROWSER_TESTS=1: not installing"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "chromium missing and not root (no sudo): install the chromium package or set SKIP_BROWSER_TESTS=1" >&2
    exit 1
  fi
fi

echo "installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "chromium package installed but $CHROMIUM is missing" >&2
  exit 1
fi
echo "chromium installed: $CHROMIUM"
