#!/usr/bin/env sh
# Installs QuickFIX C++ (Debian package libquickfix-dev, 1.15), g++ and openssl when missing, then
# builds the interop peer tests/interop/qfpeer.cpp into tests/interop/build/qfpeer and the codec
# benchmark tests/interop/qfcodec.cpp into tests/interop/build/qfcodec.
#
# Idempotent and fast on a second run: apt is skipped when the headers, the library and g++ are
# already there, and the compiler is skipped when the binary is newer than its source and this
# script. Set QFPEER_NO_INSTALL=1 to never call apt (the build then fails if anything is missing).
# Exit codes: 0 built or up to date; 1 install or build failed.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
SRC="$ROOT/tests/interop/qfpeer.cpp"
OUT_DIR="$ROOT/tests/interop/build"
OUT="$OUT_DIR/qfpeer"

have_deps() {
  command -v openssl >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 &&
    [ -f /usr/include/quickfix/Session.h ] &&
    { [ -e /usr/lib/x86_64-linux-gnu/libquickfix.so ] || ls /usr/lib/*/libquickfix.so >/dev/null 2>&1 ||
      [ -e /usr/lib/libquickfix.so ] || [ -e /usr/local/lib/libquickfix.so ]; }
}

if ! have_deps; then
  if [ "${QFPEER_NO_INSTALL:-0}" = "1" ]; then
    echo "install_interop: g++ or libquickfix-dev is missing and QFPEER_NO_INSTALL=1" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  # openssl: the TLS tests generate their certificates with it
  echo "install_interop: installing libquickfix-dev g++ openssl" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    libquickfix-dev g++ openssl >&2
fi

# build SRC into OUT unless OUT is newer than SRC and this script
build() {
  src=$1
  out=$2
  if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then
    return 0
  fi
  mkdir -p "$OUT_DIR"
  # QuickFIX 1.15 headers use dynamic exception specifications (throw(...)), which C++17
  # removed: compile as C++14. The .pc file also names libxml-2.0, which the shared library
  # already links.
  echo "install_interop: building $out" >&2
  g++ -std=gnu++14 -O2 -Wall -Wno-deprecated -Wno-deprecated-declarations \
    -o "$out.tmp.$$" "$src" -lquickfix -lpthread
  # Concurrent test processes may build at the same time: each writes its own file, the rename
  # is atomic.
  mv -f "$out.tmp.$$" "$out"
}

build "$SRC" "$OUT"
# the QuickFIX side of the benchmark report's codec comparison (tests/bench/peer_codec_bench.ts)
build "$ROOT/tests/interop/qfcodec.cpp" "$OUT_DIR/qfcodec"
