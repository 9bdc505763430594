#!/usr/bin/env python3
"""Tokens per second of twossp's tokenizer against HF `tokenizers` on the same text, one thread.

  RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python3 bench/tokenizer_bench.py [--model M] [--text T]

(bench/tokenizer_bench.sh sets those variables.) MODEL is a .gguf file or a directory with
tokenizer.json; TEXT defaults to the cached wiki corpus. The Swift side runs
`twossp bench tokenizer --model M --text T` (prints {"tokens": N, "seconds": S}).
Both sides encode the whole text in one call without special tokens; each reports its best of 3.
The HF reference for a GGUF is the tokenizer transformers' GGUF loader builds, with SmolLM2's
digit split restored for `smollm` vocabularies (as scripts/gen_tokenizer_fixtures.py does).
Exits non-zero if the two disagree on a single id.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def hf_tokenizer(model):
    from tokenizers import Tokenizer
    if os.path.isdir(model):
        return Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(os.path.dirname(os.path.abspath(model)), gguf_file=os.path.basename(model))
    j = json.loads(hf.backend_tokenizer.to_str())
    from gguf import GGUFReader
    field = GGUFReader(model).fields.get("tokenizer.ggml.pre")
    pre = bytes(field.parts[field.data[0]]).decode() if field else "default"
    if pre == "smollm":
        j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
    return Tokenizer.from_str(json.dumps(j))


def swift_command(model, text):
    twossp = os.path.join(ROOT, ".build", "release", "twossp")
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "twossp"], cwd=ROOT,
                          stdout=subprocess.DEVNULL)
    return [twossp, "bench", "tokenizer", "--model", model, "--text", text], None


def main():
    cache = os.environ.get("TWOSSP_CACHE", os.path.expanduser("~/.cache/twossp"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.environ.get("TWOSSP_TEST_MODEL_GGUF",
                    os.path.join(cache, "models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf")))
    ap.add_argument("--text", default=os.environ.get("TWOSSP_TEST_CORPUS_WIKI", os.path.join(cache, "corpora/wiki.txt")))
    args = ap.parse_args()

    text = open(args.text, "rb").read().decode("utf-8", errors="replace")
    tok = hf_tokenizer(args.model)
    best, ids = float("inf"), None
    for _ in range(3):
        t = time.perf_counter()
        ids = tok.encode(text, add_special_tokens=False).ids
        best = min(best, time.perf_counter() - t)
    hf_tokens, hf_seconds = len(ids), best
    hf_sha = hashlib.sha256(np.asarray(ids, dtype="<i4").tobytes()).hexdigest()

    cmd, output = swift_command(args.model, args.text)
    if output is None:
        output = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    swift = json.loads(output.strip().splitlines()[-1])

    print(f"text: {args.text} ({len(text.encode('utf-8')):,} bytes)")
    print(f"model: {args.model}")
    print(f"HF tokenizers {__import__('tokenizers').__version__}: {hf_tokens:,} tokens in {hf_seconds:.3f} s"
          f" = {hf_tokens / hf_seconds:,.0f} tokens/s (sha256 {hf_sha[:16]}...)")
    print(f"twossp:           {swift['tokens']:,} tokens in {swift['seconds']:.3f} s"
          f" = {swift['tokens'] / swift['seconds']:,.0f} tokens/s")
    print(f"ratio (twossp / HF tokens per second): {(swift['tokens'] / swift['seconds']) / (hf_tokens / hf_seconds):.2f}x")
    if swift["tokens"] != hf_tokens or swift.get("sha256", hf_sha) != hf_sha:
        print("MISMATCH: the two tokenizers disagree", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
