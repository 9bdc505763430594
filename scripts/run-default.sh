#!/usr/bin/env bash
# The main job on the embedded default: fetch SmolLM2-135M and the corpora, spawn local workers,
# prune to 50% with 2SSP (calibration: the first 32 x 2048 wiki tokens), evaluate before and
# after on wiki (after the calibration range), shakespeare and austen, write the pruned model to
# out/smollm2-135m-2ssp-50 and the JSON report to out/smollm2-135m-2ssp-50.json.
# Extra arguments go to `twossp prune` (e.g. --sparsity 0.25,0.5 or --workers 0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release 2>&1 | tail -n 1
.build/release/twossp fetch
mkdir -p out
.build/release/twossp prune --model smollm2-135m --sparsity 0.5 --calibration wiki \
  --out out/smollm2-135m-2ssp-50 --report out/smollm2-135m-2ssp-50.json "$@"
