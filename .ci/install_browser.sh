#!/usr/bin/env sh
# Installs what the browser test (tests/ops_page_test.ts) needs: Debian's chromium when missing,
# and the driver, npm playwright-core, which runs under Deno (pinned in deno.json's import map and
# deno.lock; fetched here ahead of the tests). Playwright drives this Chromium and never
# downloads a browser of its own.
#
# Idempotent: apt is skipped when chromium is there; the driver comes from Deno's cache once
# fetched. Set TANDEM_CHROMIUM to use another Chromium binary (then apt is skipped).
# Exit codes: 0 ready; 1 install failed.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

have_chromium() {
  if [ -n "${TANDEM_CHROMIUM:-}" ]; then [ -x "$TANDEM_CHROMIUM" ]; return; fi
  [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]
}

if ! have_chromium; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  echo "install_browser: installing chromium" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium fonts-dejavu-core >&2
fi

cd "$ROOT"
./denow cache tests/_browser.ts >&2
