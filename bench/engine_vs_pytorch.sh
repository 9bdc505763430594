#!/usr/bin/env bash
# Side by side, same invocation: twossp's engine and PyTorch CPU + transformers on SmolLM2-135M
# (fp32, the same dequantised GGUF weights), full 2048-token windows, the same thread count.
# Prints tokens/s of both and the ratio ours/theirs.
#   bench/engine_vs_pytorch.sh [--windows 2] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
windows=2
threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --windows) windows=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
bash scripts/install-deps.sh
python3 -c "import torch, transformers, gguf, accelerate" 2>/dev/null || \
  python3 -m pip install -q "torch==2.13.0+cpu" transformers accelerate gguf
swift build -c release --product twossp 2>&1 | tail -n 1
model=$(.build/release/twossp fetch smollm2-135m | cut -f2)

ours=$(.build/release/twossp bench engine --model "$model" --windows "$windows" --threads "$threads" --json --quiet)
theirs=$(OMP_NUM_THREADS=$threads python3 - "$model" "$windows" "$threads" <<'PY'
import json, os, sys, time
import torch
from transformers import AutoModelForCausalLM
path, windows, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
model = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path), torch_dtype=torch.float32)
model.eval()
g = torch.Generator().manual_seed(42)
ids = torch.randint(0, model.config.vocab_size, (windows, 2048), generator=g)
with torch.inference_mode():
    model(ids[:1, :64], labels=ids[:1, :64])          # warm-up
    start = time.perf_counter()
    for w in range(windows):
        model(ids[w:w + 1], labels=ids[w:w + 1])      # batch 1, loss computed, as ours
    seconds = time.perf_counter() - start
print(json.dumps({"tokens_per_second": windows * 2048 / seconds, "seconds": seconds, "torch": torch.__version__}))
PY
)
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"twossp : {ours['tokens_per_second']:7.1f} tokens/s  ({ours['model_gflops']:.1f} GFLOP/s, "
      f"{ours['roofline_fraction']:.2f} of sgemm {ours['sgemm_gflops']:.1f} GFLOP/s)")
print(f"pytorch: {theirs['tokens_per_second']:7.1f} tokens/s  (torch {theirs['torch']})")
print(f"ours/theirs: {ours['tokens_per_second'] / theirs['tokens_per_second']:.3f}x")
PY
