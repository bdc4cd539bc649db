#!/usr/bin/python3
"""tests/reference/make_tiny_deepseek.py — writes a random tiny
DeepseekV3ForCausalLM folder (config.json + model.safetensors, or shards +
index) for tests.

    make_tiny_deepseek.py OUT_DIR [--hidden 64] [--heads 4] [--q-lora 0|R]
        [--kv-lora 32] [--nope 16] [--rope 8] [--v-head 16] [--layers 3]
        [--dense 1] [--ffn 96] [--experts 8] [--top-k 3] [--groups 4]
        [--topk-groups 2] [--shared 1] [--moe-ffn 32] [--method noaux_tc]
        [--scoring sigmoid] [--no-norm-topk] [--scale 2.5] [--yarn]
        [--no-interleave] [--bias] [--tied] [--vocab 256]
        [--dtype f32|bf16|f16] [--shards N] [--seed S]
        [--drop NAME] [--extra NAME] [--reshape NAME]

--drop, --extra and --reshape (repeatable) break the weights on purpose,
for the tests of weight errors.  Routers are drawn so that the experts'
scores are well apart (the choice is never a near tie that float rounding
could flip), and e_score_correction_bias large enough to change choices.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_writer import write_safetensors, write_sharded  # noqa: E402


def config(a):
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        "hidden_act": "silu",
        "hidden_size": a.hidden,
        "intermediate_size": a.ffn,
        "moe_intermediate_size": a.moe_ffn,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.heads,
        "q_lora_rank": a.q_lora or None,
        "kv_lora_rank": a.kv_lora,
        "qk_nope_head_dim": a.nope,
        "qk_rope_head_dim": a.rope,
        "v_head_dim": a.v_head,
        "n_routed_experts": a.experts or None,
        "num_experts_per_tok": a.top_k,
        "n_shared_experts": a.shared,
        "first_k_dense_replace": a.dense,
        "moe_layer_freq": 1,
        "n_group": a.groups,
        "topk_group": a.topk_groups,
        "topk_method": a.method,
        "scoring_func": a.scoring,
        "norm_topk_prob": not a.no_norm_topk,
        "routed_scaling_factor": a.scale,
        "vocab_size": a.vocab,
        "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5,  # not the latent norms' 1e-6: a mix-up shows
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "rope_interleave": not a.no_interleave,
        "attention_bias": bool(a.bias),
        "tie_word_embeddings": bool(a.tied),
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[a.dtype],
    }
    if a.yarn:
        # A short original context, so that the tiny rope dims span the
        # whole ramp; mscale_all_dim changes the softmax scale.
        cfg["rope_scaling"] = {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 128,
                               "beta_fast": 32, "beta_slow": 1, "mscale": 0.707,
                               "mscale_all_dim": 1.0}
    return cfg


def tensors(a, rng):
    d, h = a.hidden, a.heads
    qk = a.nope + a.rope

    def matrix(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def mlp(out, prefix, ffn):
        out[prefix + "gate_proj.weight"] = matrix(ffn, d)
        out[prefix + "up_proj.weight"] = matrix(ffn, d)
        out[prefix + "down_proj.weight"] = matrix(d, ffn)

    out = {"model.embed_tokens.weight": rng.standard_normal((a.vocab, d)).astype(np.float32)}
    for layer in range(a.layers):
        p = f"model.layers.{layer}."
        s = p + "self_attn."
        out[p + "input_layernorm.weight"] = norm(d)
        out[p + "post_attention_layernorm.weight"] = norm(d)
        if a.q_lora:
            out[s + "q_a_proj.weight"] = matrix(a.q_lora, d)
            out[s + "q_a_layernorm.weight"] = norm(a.q_lora)
            out[s + "q_b_proj.weight"] = matrix(h * qk, a.q_lora)
            if a.bias:
                out[s + "q_a_proj.bias"] = 0.1 * rng.standard_normal(a.q_lora).astype(np.float32)
        else:
            out[s + "q_proj.weight"] = matrix(h * qk, d)
        out[s + "kv_a_proj_with_mqa.weight"] = matrix(a.kv_lora + a.rope, d)
        out[s + "kv_a_layernorm.weight"] = norm(a.kv_lora)
        out[s + "kv_b_proj.weight"] = matrix(h * (a.nope + a.v_head), a.kv_lora)
        out[s + "o_proj.weight"] = matrix(d, h * a.v_head)
        if a.bias:
            out[s + "kv_a_proj_with_mqa.bias"] = 0.1 * rng.standard_normal(a.kv_lora + a.rope).astype(np.float32)
            out[s + "o_proj.bias"] = 0.1 * rng.standard_normal(d).astype(np.float32)
        if a.experts and layer >= a.dense:
            # Router rows of size ~3: logits of unit-size inputs differ by
            # whole units, far above any float rounding.
            out[p + "mlp.gate.weight"] = 3.0 * matrix(a.experts, d)
            if a.method == "noaux_tc":
                out[p + "mlp.gate.e_score_correction_bias"] = \
                    (0.3 * rng.standard_normal(a.experts).astype(np.float32), "f32")
            for e in range(a.experts):
                mlp(out, f"{p}mlp.experts.{e}.", a.moe_ffn)
            if a.shared:
                mlp(out, p + "mlp.shared_experts.", a.shared * a.moe_ffn)
        else:
            mlp(out, p + "mlp.", a.ffn)
    out["model.norm.weight"] = norm(d)
    if not a.tied:
        out["lm_head.weight"] = matrix(a.vocab, d)
    return out


def break_weights(a, out):
    for name in a.drop:
        del out[name]
    for name in a.extra:
        out[name] = np.zeros((2, 2), np.float32)
    for name in a.reshape:
        value = out[name][0] if isinstance(out[name], tuple) else out[name]
        out[name] = np.zeros((value.shape[0] + 1,) + value.shape[1:], np.float32)
    return out


def make(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    for flag, default in [("--hidden", 64), ("--heads", 4), ("--q-lora", 0), ("--kv-lora", 32),
                          ("--nope", 16), ("--rope", 8), ("--v-head", 16), ("--layers", 3),
                          ("--dense", 1), ("--ffn", 96), ("--experts", 8), ("--top-k", 3),
                          ("--groups", 4), ("--topk-groups", 2), ("--shared", 1),
                          ("--moe-ffn", 32), ("--vocab", 256), ("--shards", 1), ("--seed", 0)]:
        ap.add_argument(flag, type=int, default=default)
    ap.add_argument("--method", default="noaux_tc",
                    choices=["noaux_tc", "group_limited_greedy", "greedy"])
    ap.add_argument("--scoring", default="sigmoid", choices=["sigmoid", "softmax"])
    ap.add_argument("--scale", type=float, default=2.5)
    for flag in ["--no-norm-topk", "--yarn", "--no-interleave", "--bias", "--tied"]:
        ap.add_argument(flag, action="store_true")
    ap.add_argument("--dtype", choices=["f32", "bf16", "f16"], default="f32")
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--extra", action="append", default=[])
    ap.add_argument("--reshape", action="append", default=[])
    a = ap.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config(a), f, indent=2)
    out = break_weights(a, tensors(a, rng))
    if a.shards > 1:
        write_sharded(a.out, out, a.dtype, a.shards)
    else:
        write_safetensors(os.path.join(a.out, "model.safetensors"),
                          {k: out[k] for k in sorted(out)}, a.dtype)
    return a.out


if __name__ == "__main__":
    make()
