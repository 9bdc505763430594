#!/usr/bin/env bash
# The full default 2SSP protocol on SmolLM2-135M at s = 0.5 (32 x 2048 wiki calibration tokens,
# 1 stage-2 sample), with the stage-2 prefix cache and with --no-prefix-cache, side by side in
# one invocation: wall time of each stage, and a check that both took the same decisions.
#   bench/prune_protocol.sh [extra twossp prune options, e.g. --workers 0]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release 2>&1 | tail -n 1
.build/release/twossp fetch >/dev/null
out=$(mktemp -d)
for mode in cached full; do
  extra=()
  [ "$mode" = full ] && extra=(--no-prefix-cache)
  echo "== $mode" >&2
  .build/release/twossp prune --model smollm2-135m --sparsity 0.5 --calibration wiki --eval none \
    --report "$out/$mode.json" "${extra[@]}" "$@" >/dev/null
done
python3 - "$out/cached.json" "$out/full.json" <<'PY'
import json, sys
cached, full = (json.load(open(p)) for p in sys.argv[1:3])
def row(name, r):
    s2 = r["runs"][0]["seconds"]["stage2"]
    n = sum(len(it["candidates"]) for it in r["stage2"])
    workers = r["cluster"]["workers"] if isinstance(r["cluster"]["workers"], int) else len(r["cluster"]["workers"])
    print(f"{name:16s} stage 1 {r['seconds']['stage1']:7.1f} s   stage 2 {s2:7.1f} s ({n} candidates, "
          f"{n / s2:.2f}/s)   total {r['seconds']['total']:7.1f} s   workers {workers}")
    return s2
a = row("prefix cache", cached)
b = row("no prefix cache", full)
print(f"stage 2 speed-up from the cache: {b / a:.2f}x")
same = cached["stage2"] == full["stage2"] and cached["removed_attention_blocks"] == full["removed_attention_blocks"]
print(f"identical decisions and candidate perplexities: {same}; removed {cached['removed_attention_blocks']}, K = {cached['ffn_width']}")
sys.exit(0 if same else 1)
PY
