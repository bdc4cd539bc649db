#!/usr/bin/python3
"""tests/reference/make_tiny_llama.py — writes a random tiny Llama model
folder (config.json + model.safetensors, or shards + index) for tests.

    make_tiny_llama.py OUT_DIR [--hidden 64] [--heads 4] [--kv-heads 2]
        [--head-dim 16] [--layers 2] [--ffn 176] [--vocab 256] [--tied]
        [--rope-scaling] [--dtype f32|bf16|f16] [--shards N] [--seed S]
        [--drop NAME] [--extra NAME] [--reshape NAME]

--drop, --extra and --reshape (repeatable) break the weights on purpose,
for the tests of weight errors.  Single files list tensors in name order,
as Transformers writes them; shards deal tensors out in turn.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_writer import write_safetensors, write_sharded  # noqa: E402


def config(args):
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_act": "silu",
        "hidden_size": args.hidden,
        "intermediate_size": args.ffn,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.head_dim,
        "vocab_size": args.vocab,
        "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "tie_word_embeddings": bool(args.tied),
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[args.dtype],
        "attention_bias": False,
        "mlp_bias": False,
    }
    if args.rope_scaling:
        # A short original context so that tiny head dims hit all three
        # bands of the llama3 scaling (kept, blended, slowed).
        cfg["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 32}
    return cfg


def tensors(args, rng):
    d, q, kv = args.hidden, args.heads * args.head_dim, args.kv_heads * args.head_dim

    def matrix(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    out = {"model.embed_tokens.weight": rng.standard_normal((args.vocab, d)).astype(np.float32)}
    for layer in range(args.layers):
        p = f"model.layers.{layer}."
        out[p + "input_layernorm.weight"] = norm(d)
        out[p + "self_attn.q_proj.weight"] = matrix(q, d)
        out[p + "self_attn.k_proj.weight"] = matrix(kv, d)
        out[p + "self_attn.v_proj.weight"] = matrix(kv, d)
        out[p + "self_attn.o_proj.weight"] = matrix(d, q)
        out[p + "post_attention_layernorm.weight"] = norm(d)
        out[p + "mlp.gate_proj.weight"] = matrix(args.ffn, d)
        out[p + "mlp.up_proj.weight"] = matrix(args.ffn, d)
        out[p + "mlp.down_proj.weight"] = matrix(d, args.ffn)
    out["model.norm.weight"] = norm(d)
    if not args.tied:
        out["lm_head.weight"] = matrix(args.vocab, d)
    return out


def break_weights(args, out):
    for name in args.drop:
        del out[name]
    for name in args.extra:
        out[name] = np.zeros((2, 2), np.float32)
    for name in args.reshape:
        shape = out[name].shape
        out[name] = np.zeros((shape[0] + 1,) + shape[1:], np.float32)
    return out


def make(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=16)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=176)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--rope-scaling", action="store_true")
    ap.add_argument("--dtype", choices=["f32", "bf16", "f16"], default="f32")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--reshape", action="append", default=[])
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config(args), f, indent=2)
    out = break_weights(args, tensors(args, rng))
    if args.shards > 1:
        write_sharded(args.out, out, args.dtype, args.shards)
    else:
        write_safetensors(os.path.join(args.out, "model.safetensors"),
                          {k: out[k] for k in sorted(out)}, args.dtype)
    return args.out


if __name__ == "__main__":
    make()
