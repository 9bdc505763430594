#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, the built-in model and corpora
# (fetched once into $TWOSSP_CACHE, checked by sha256), then every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product twossp 2>&1 | tail -n 3
.build/release/twossp fetch
swift test 2>&1
