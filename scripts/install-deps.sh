#!/usr/bin/env bash
# Installs what twossp builds and tests against (idempotent: does nothing when present):
# OpenBLAS, ZeroMQ and zlib headers from apt; iproute2 for the several-hosts test;
# pyzmq from PyPI as the independent ZeroMQ client of the protocol tests (--with-test-tools).
set -euo pipefail
packages=(libopenblas-dev libzmq3-dev zlib1g-dev iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt)..." >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-}" = "--with-test-tools" ] && ! python3 -c "import zmq" 2>/dev/null; then
  echo "installing pyzmq (pip)..." >&2
  python3 -m pip install -q pyzmq
fi
command -v swift >/dev/null || { echo "swift not found: install the Swift 6 toolchain first" >&2; exit 1; }
