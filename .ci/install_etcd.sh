#!/usr/bin/env bash
# Installs etcd (Debian's etcd-server: /usr/bin/etcd) for the cluster-mode tests and
# `deno task demo --cluster`. Idempotent: does nothing when etcd is already there.
set -euo pipefail
if [ -x /usr/bin/etcd ] || command -v etcd >/dev/null 2>&1; then
  echo "etcd present: $(command -v etcd || echo /usr/bin/etcd)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server
/usr/bin/etcd --version | head -n 1
