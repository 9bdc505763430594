#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages and pyzmq, the built-in model and
# corpora (fetched once into $TWOSSP_CACHE, checked by sha256), then every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --with-test-tools
swift build -c release --product twossp 2>&1 | tail -n 1
.build/release/twossp fetch
swift build --build-tests 2>&1 | tail -n 1
swift test --skip-build 2>&1
