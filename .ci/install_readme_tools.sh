#!/usr/bin/env sh
# Installs what tests/readme_test.ts and tests/deploy_test.ts run besides Deno, when missing:
# curl and openssl (the README's commands), setsid from util-linux (each README command in its own
# process group, so it can be stopped with its children). systemd-analyze is not installed (a
# container has no use for systemd): the test that verifies deploy/tandem.service with it is
# skipped where it is missing.
# Idempotent: apt is not called when everything is there. Exit codes: 0 ready; 1 install failed.
set -eu

missing=""
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v setsid >/dev/null 2>&1 || missing="$missing util-linux"
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "install_readme_tools: installing$missing" >&2
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >&2
