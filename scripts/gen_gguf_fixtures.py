#!/usr/bin/env python3
"""Reference values for GGUFRealModelTests, computed with the Python `gguf` package (an
independent GGUF reader and dequantiser) and numpy.

Usage: python3 scripts/gen_gguf_fixtures.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]
Writes Tests/Fixtures/gguf/smollm2_reference.json.

Per tensor: the HF name and row-major shape, and of the fp32 values in HF row-major order
(q/k rows un-permuted the way transformers' GGUF loader does it): a position-weighted checksum
of the bit patterns (sum of bits[i] * (2i+1) mod 2^64, so any single changed bit or moved value
shows), the float64 sum, and the first and last 8 values.
"""
import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.environ.get(
    "TWOSSP_TEST_MODEL_GGUF",
    os.path.expanduser("~/.cache/twossp/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf"))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "gguf", "smollm2_reference.json")

# (GGUF name, HF name, heads to un-permute or None)
TENSORS = [
    ("token_embd.weight", "model.embed_tokens.weight", None),          # Q8_0
    ("output_norm.weight", "model.norm.weight", None),                 # F32
    ("blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight", None),
    ("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", None),   # Q4_1
    ("blk.17.ffn_up.weight", "model.layers.17.mlp.up_proj.weight", None),
    ("blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight", None),
    ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", "q"),
    ("blk.29.attn_k.weight", "model.layers.29.self_attn.k_proj.weight", "k"),
]


def converter_permute(w, n_head):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute (HF order -> GGUF order)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def reverse_permute(w, n_head):
    """transformers' LlamaTensorProcessor._reverse_permute_weights (GGUF order -> HF order)."""
    dim = w.shape[0] // n_head // 2
    return w.reshape(n_head, dim, 2, *w.shape[1:]).swapaxes(2, 1).reshape(w.shape)


def checksum(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    weights = np.arange(bits.size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    with np.errstate(over="ignore"):
        return int((bits * weights).sum(dtype=np.uint64))


def field(reader, key):
    return reader.fields[key].contents()


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    reader = GGUFReader(path)
    n_head = field(reader, "llama.attention.head_count")
    n_kv = field(reader, "llama.attention.head_count_kv")
    by_name = {t.name: t for t in reader.tensors}

    tensors = []
    for gguf_name, hf_name, permuted in TENSORS:
        t = by_name[gguf_name]
        hf_shape = [int(d) for d in reversed(t.shape)]
        values = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(hf_shape)
        if permuted:
            heads = n_head if permuted == "q" else n_kv
            stored = values
            values = reverse_permute(stored, heads)
            assert np.array_equal(converter_permute(values, heads), stored)
        flat = values.reshape(-1)
        tensors.append({
            "gguf_name": gguf_name,
            "hf_name": hf_name,
            "ggml_type": t.tensor_type.name,
            "hf_shape": hf_shape,
            "checksum": str(checksum(flat)),
            "sum": float(flat.astype(np.float64).sum()),
            "first": [float(x) for x in flat[:8]],
            "last": [float(x) for x in flat[-8:]],
        })

    tokens = field(reader, "tokenizer.ggml.tokens")
    merges = field(reader, "tokenizer.ggml.merges")
    token_types = field(reader, "tokenizer.ggml.token_type")
    out = {
        "generator": "scripts/gen_gguf_fixtures.py (gguf-py dequantize + numpy)",
        "model_sha256": sha,
        "model_bytes": os.path.getsize(path),
        "tensor_count": len(reader.tensors),
        "metadata_count": len(reader.fields) - 3,   # GGUFReader adds 3 header pseudo-fields
        "type_counts": {k: sum(1 for t in reader.tensors if t.tensor_type.name == k)
                        for k in sorted({t.tensor_type.name for t in reader.tensors})},
        "tokens": {"count": len(tokens), "first": tokens[:4], "last": tokens[-2:],
                   "at_1000": tokens[1000]},
        "merges": {"count": len(merges), "first": merges[:2], "last": merges[-1]},
        "token_type_special": [i for i, v in enumerate(token_types) if v == 3][:20],
        "tensors": tensors,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
