#!/usr/bin/env bash
# The main job on the embedded default: fetch SmolLM2-135M and the corpora, evaluate the model.
# Extra arguments are passed to `twossp eval`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product twossp 2>&1 | tail -n 3
.build/release/twossp fetch
.build/release/twossp eval --model smollm2-135m --text wiki --seq-len 2048 --windows 8 "$@"
