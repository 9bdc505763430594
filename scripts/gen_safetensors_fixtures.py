#!/usr/bin/env python3
"""Writes the small safetensors fixtures under Tests/Fixtures/safetensors with the reference
Python packages (safetensors, torch, transformers), plus the values those packages read back, so
the Swift tests compare our reader against an independent implementation without running Python.

    python3 scripts/gen_safetensors_fixtures.py

Tested with safetensors 0.8.0, torch 2.13.0+cpu, transformers 5.25.0. Output is deterministic,
except that safetensors' Rust writer orders `__metadata__` keys at random (a HashMap), so
dtypes.safetensors may differ from the committed copy in that order only.
"""
import hashlib
import json
import math
import os
import shutil

import torch
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "safetensors")


def fp32_bits(t):
    """Bit patterns of the tensor converted to fp32 by torch: the exact values our reader must give."""
    return [int(b) for b in t.float().contiguous().view(torch.int32).flatten().tolist()]


def fp32_sha256(t):
    return hashlib.sha256(t.float().contiguous().numpy().tobytes()).hexdigest()


def write_dtypes():
    inf, nan = math.inf, math.nan
    tensors = {
        # F32: signed zero, smallest subnormal, largest finite, -inf, plain values.
        "f32.matrix": torch.tensor([[0.0, -0.0, 1e-45], [3.4028234663852886e38, -inf, math.pi]],
                                   dtype=torch.float32),
        # F16: zero, smallest subnormal, largest finite, inf, NaN, inexact values.
        "f16.vector": torch.tensor([0.0, -0.0, 5.960464477539063e-08, 65504.0, -inf, nan, 1 / 3, -2.5],
                                   dtype=torch.float16),
        # BF16: subnormal, large, inf, NaN, values rounded by torch.
        "bf16.matrix": torch.tensor([[1e-40, -3.0e38, inf, nan], [1 / 3, -1 / 7, 1.0, 65536.5]],
                                    dtype=torch.bfloat16),
        "bf16.scalar": torch.tensor(-0.15625, dtype=torch.bfloat16),
        "f32.empty": torch.zeros((0, 3), dtype=torch.float32),
        # Not a float type: the reader must open the file but refuse to load this one.
        "i64.positions": torch.arange(4, dtype=torch.int64),
    }
    metadata = {"format": "pt", "note": "twossp fixture"}
    path = os.path.join(ROOT, "dtypes.safetensors")
    save_file(tensors, path, metadata=metadata)
    expected = {
        "metadata": metadata,
        "tensors": {name: {"shape": list(t.shape), "dtype": str(t.dtype), "bits": fp32_bits(t)}
                    for name, t in tensors.items() if t.dtype != torch.int64},
        "unsupported": {"i64.positions": "I64"},
    }
    with open(os.path.join(ROOT, "dtypes.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


def write_sharded_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=8, intermediate_size=12, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, vocab_size=16, max_position_embeddings=64,
                         tie_word_embeddings=False)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    # Norm weights start at exactly 1: make them distinct so a mixed-up tensor cannot pass.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(torch.linspace(0.5, 1.5, p.numel()).to(p.dtype))
    out = os.path.join(ROOT, "tiny-llama-sharded")
    shutil.rmtree(out, ignore_errors=True)
    model.save_pretrained(out, max_shard_size=1200)
    gen = os.path.join(out, "generation_config.json")
    if os.path.exists(gen):
        os.remove(gen)
    state = model.state_dict()
    expected = {name: {"shape": list(t.shape), "fp32_sha256": fp32_sha256(t)} for name, t in state.items()}
    # A few tensors in full, so a failure shows values and not just a hash.
    for name in ["model.norm.weight", "model.layers.1.self_attn.k_proj.weight"]:
        expected[name]["bits"] = fp32_bits(state[name])
    with open(os.path.join(ROOT, "tiny-llama-sharded.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


LLAMA31_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
    "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 131072,
    "mlp_bias": False, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0", "use_cache": True, "vocab_size": 128256,
    # Not in the real file: values our JSON reader and writer must carry through untouched.
    "x_nan": math.nan, "x_infinities": [math.inf, -math.inf], "x_text": "Llama \u00e9\u00e8 \U0001f999 \"q\"\n\t\x7f",
    "x_empty": [{}, []], "x_numbers": [0, -0.0, 1e-06, 1.5e+300, 12345678901234567890],
}


def write_configs():
    """config.json files and the exact text Python writes after our edits (the encoder's golden)."""
    def dumps(d):
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    with open(os.path.join(ROOT, "llama-3.1-8b-extras.config.json"), "w") as f:
        f.write(dumps(LLAMA31_CONFIG))
    pruned = dict(LLAMA31_CONFIG, intermediate_size=7168, torch_dtype="float32",
                  twossp_removed_attention_blocks=[3, 17, 30])
    with open(os.path.join(ROOT, "llama-3.1-8b-extras.pruned.expected.json"), "w") as f:
        f.write(dumps(pruned))
    # transformers 5 layout (rope_parameters, "dtype"), as saved with the sharded model.
    with open(os.path.join(ROOT, "tiny-llama-sharded", "config.json")) as f:
        tiny = json.load(f)
    tiny.update(intermediate_size=6, dtype="bfloat16", twossp_removed_attention_blocks=[1])
    with open(os.path.join(ROOT, "tiny-llama-sharded.pruned.expected.json"), "w") as f:
        f.write(dumps(tiny))


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    write_dtypes()
    write_sharded_llama()
    write_configs()
