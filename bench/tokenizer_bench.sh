#!/usr/bin/env bash
# twossp's tokenizer vs HF tokenizers, single thread, same text, one invocation; prints the ratio.
#   bench/tokenizer_bench.sh [--model GGUF_OR_HF_DIR] [--text FILE]
# Defaults: the SmolLM2 GGUF and the wiki corpus in $TWOSSP_CACHE (~/.cache/twossp).
set -euo pipefail
cd "$(dirname "$0")/.."
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
exec python3 bench/tokenizer_bench.py "$@"
