#!/usr/bin/python3
"""tests/reference/make_tiny_decoder.py — writes a random tiny Qwen2, Qwen3,
Qwen3-MoE, Mistral, Mixtral, Gemma 2, Gemma 3, GPT-OSS or Llama 4 (text) model folder
(config.json + model.safetensors) for tests.

    make_tiny_decoder.py OUT_DIR
        --arch qwen2|qwen3|qwen3_moe|mistral|mixtral|gemma2|gemma3|gpt_oss|llama4
        [--hidden 64] [--heads 4] [--kv-heads 2] [--head-dim 16] [--layers 2]
        [--ffn 96] [--vocab 256] [--tied] [--bias] [--window N]
        [--max-window-layers N] [--experts 4] [--top-k 2] [--no-norm-topk]
        [--dtype f32|bf16|f16] [--seed S] [--drop NAME] [--set KEY=JSON]

--window makes Mistral/Mixtral layers slide (and Qwen's from
--max-window-layers on, with use_sliding_window; Gemma's sliding layers
always have one, and GPT-OSS's every other layer from the first);
--window is Llama 4's attention_chunk_size; --bias is Qwen3's attention_bias
(GPT-OSS always has biases); --set overrides a
config key; --drop removes a tensor.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from safetensors_writer import write_safetensors  # noqa: E402

ARCHS = {"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
         "qwen3_moe": "Qwen3MoeForCausalLM", "mistral": "MistralForCausalLM",
         "mixtral": "MixtralForCausalLM", "gemma2": "Gemma2ForCausalLM",
         "gemma3": "Gemma3ForCausalLM", "gpt_oss": "GptOssForCausalLM", "llama4": "Llama4ForCausalLM"}


def config(args):
    cfg = {
        "architectures": [ARCHS[args.arch]],
        "model_type": args.arch,
        "hidden_act": "silu",
        "hidden_size": args.hidden,
        "intermediate_size": args.ffn,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.head_dim,
        "vocab_size": args.vocab,
        "max_position_embeddings": 512,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "tie_word_embeddings": bool(args.tied),
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[args.dtype],
    }
    if args.arch.startswith("gemma"):
        del cfg["hidden_act"]
        cfg.update(hidden_activation="gelu_pytorch_tanh", sliding_window=args.window or 4,
                   query_pre_attn_scalar=args.head_dim * 2)
        if args.arch == "gemma2":
            cfg.update(attn_logit_softcapping=50.0, final_logit_softcapping=30.0)
        else:
            cfg.update(sliding_window_pattern=3, rope_local_base_freq=10000.0, rope_theta=1e6,
                       rope_scaling={"rope_type": "linear", "factor": 2.0})
    elif args.arch == "gpt_oss":
        # GptOssConfig's shape of things: YaRN without truncation, biases,
        # every layer's experts (intermediate_size is an expert's width).
        cfg.update(attention_bias=True, sliding_window=args.window or 4, rms_norm_eps=1e-5,
                   rope_theta=150000.0, num_local_experts=args.experts,
                   num_experts_per_tok=args.top_k, swiglu_limit=7.0,
                   rope_scaling={"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0,
                                 "beta_slow": 1.0, "original_max_position_embeddings": 64,
                                 "truncate": False})
    elif args.arch == "llama4":
        # Llama4TextConfig's shape: NoPE every 4th layer, MoE every 2nd, a
        # temperature floor low enough to act within the tests' prompts.
        cfg.update(model_type="llama4_text", attention_bias=False, rms_norm_eps=1e-5,
                   rope_theta=500000.0, intermediate_size_mlp=2 * args.ffn,
                   num_local_experts=args.experts, num_experts_per_tok=args.top_k,
                   interleave_moe_layer_step=2, no_rope_layer_interval=4,
                   attention_chunk_size=args.window or 5, use_qk_norm=True,
                   attn_temperature_tuning=True, floor_scale=4, attn_scale=0.1,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0,
                                 "original_max_position_embeddings": 64})
    elif args.arch in ("mistral", "mixtral"):
        cfg["sliding_window"] = args.window
    else:
        cfg["attention_bias"] = bool(args.bias)
        cfg["use_sliding_window"] = args.window is not None
        cfg["sliding_window"] = args.window
        cfg["max_window_layers"] = args.max_window_layers
    if args.arch == "mixtral":
        cfg.update(num_local_experts=args.experts, num_experts_per_tok=args.top_k)
    if args.arch == "qwen3_moe":
        cfg.update(num_experts=args.experts, num_experts_per_tok=args.top_k,
                   moe_intermediate_size=args.ffn // 2, decoder_sparse_step=1,
                   mlp_only_layers=[0] if args.layers > 2 else [],
                   norm_topk_prob=not args.no_norm_topk)
    for item in args.set:
        key, value = item.split("=", 1)
        cfg[key] = json.loads(value)
    return cfg


def tensors(args, cfg, rng):
    d, hd = args.hidden, args.head_dim
    q, kv = args.heads * hd, args.kv_heads * hd

    def matrix(rows, cols):
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def vector(n, mean=0.0, std=0.1):
        return (mean + std * rng.standard_normal(n)).astype(np.float32)

    def swiglu(prefix, names, width):
        out[prefix + names[0] + ".weight"] = matrix(width, d)
        out[prefix + names[1] + ".weight"] = matrix(width, d)
        out[prefix + names[2] + ".weight"] = matrix(d, width)

    if args.arch == "gpt_oss":
        return gpt_oss_tensors(args, rng)
    if args.arch == "llama4":
        return llama4_tensors(args, cfg, rng)
    qwen2 = args.arch == "qwen2"
    qwen3 = args.arch in ("qwen3", "qwen3_moe")
    gemma = args.arch.startswith("gemma")
    one = 0.0 if gemma else 1.0  # Gemma's norms scale by 1 + weight
    # Gemma scales embeddings by sqrt(d): rows of norm ~1 keep activations unit-sized.
    embed_std = 1.0 / np.sqrt(d) if gemma else 1.0
    out = {"model.embed_tokens.weight":
           (embed_std * rng.standard_normal((args.vocab, d))).astype(np.float32)}
    for layer in range(args.layers):
        p = f"model.layers.{layer}."
        out[p + "input_layernorm.weight"] = vector(d, one)
        out[p + "post_attention_layernorm.weight"] = vector(d, one)
        if gemma:
            out[p + "pre_feedforward_layernorm.weight"] = vector(d, one)
            out[p + "post_feedforward_layernorm.weight"] = vector(d, one)
        for name, rows in (("q_proj", q), ("k_proj", kv), ("v_proj", kv)):
            out[p + f"self_attn.{name}.weight"] = matrix(rows, d)
            if qwen2 or (qwen3 and args.bias):
                out[p + f"self_attn.{name}.bias"] = vector(rows)
        out[p + "self_attn.o_proj.weight"] = matrix(d, q)
        if qwen3 and args.bias:
            out[p + "self_attn.o_proj.bias"] = vector(d)
        if qwen3 or args.arch == "gemma3":
            out[p + "self_attn.q_norm.weight"] = vector(hd, one)
            out[p + "self_attn.k_norm.weight"] = vector(hd, one)
        if args.arch == "mixtral":
            out[p + "block_sparse_moe.gate.weight"] = matrix(args.experts, d)
            for e in range(args.experts):
                swiglu(p + f"block_sparse_moe.experts.{e}.", ("w1", "w3", "w2"), args.ffn)
        elif args.arch == "qwen3_moe" and layer not in cfg["mlp_only_layers"]:
            out[p + "mlp.gate.weight"] = matrix(args.experts, d)
            for e in range(args.experts):
                swiglu(p + f"mlp.experts.{e}.", ("gate_proj", "up_proj", "down_proj"),
                       cfg["moe_intermediate_size"])
        else:
            swiglu(p + "mlp.", ("gate_proj", "up_proj", "down_proj"), args.ffn)
    out["model.norm.weight"] = vector(d, one)
    if not args.tied:
        out["lm_head.weight"] = matrix(args.vocab, d)
    return out


def normal_of(rng):
    """normal(*shape, std): float32 draws from rng."""
    def normal(*shape, std=1.0):
        return (std * rng.standard_normal(shape)).astype(np.float32)
    return normal


def untied_layers(args, normal, biases):
    """Embeddings, final norm, untied lm_head, and each layer's two norms
    and q/k/v/o projections (with biases or not), as GPT-OSS and Llama 4
    name them."""
    d, hd = args.hidden, args.head_dim
    q, kv = args.heads * hd, args.kv_heads * hd
    out = {"model.embed_tokens.weight": normal(args.vocab, d),
           "model.norm.weight": 1.0 + normal(d, std=0.1),
           "lm_head.weight": normal(args.vocab, d, std=d ** -0.5)}
    for layer in range(args.layers):
        p = f"model.layers.{layer}."
        out[p + "input_layernorm.weight"] = 1.0 + normal(d, std=0.1)
        out[p + "post_attention_layernorm.weight"] = 1.0 + normal(d, std=0.1)
        for name, rows, cols in (("q_proj", q, d), ("k_proj", kv, d), ("v_proj", kv, d),
                                 ("o_proj", d, q)):
            out[p + f"self_attn.{name}.weight"] = normal(rows, cols, std=cols ** -0.5)
            if biases:
                out[p + f"self_attn.{name}.bias"] = normal(rows, std=0.1)
    return out


def gpt_oss_tensors(args, rng):
    """GptOssForCausalLM's parameters as Transformers names and shapes them:
    the experts fused, input-major ([experts][in][out]), gate and up
    interleaved in gate_up_proj's last axis."""
    d, E, f = args.hidden, args.experts, args.ffn
    normal = normal_of(rng)
    out = untied_layers(args, normal, biases=True)
    for layer in range(args.layers):
        p = f"model.layers.{layer}."
        out[p + "self_attn.sinks"] = normal(args.heads)
        out[p + "mlp.router.weight"] = normal(E, d, std=d ** -0.5)
        out[p + "mlp.router.bias"] = normal(E, std=0.5)
        out[p + "mlp.experts.gate_up_proj"] = normal(E, d, 2 * f, std=d ** -0.5)
        out[p + "mlp.experts.gate_up_proj_bias"] = normal(E, 2 * f, std=0.1)
        out[p + "mlp.experts.down_proj"] = normal(E, f, d, std=f ** -0.5)
        out[p + "mlp.experts.down_proj_bias"] = normal(E, d, std=0.1)
    return out


def llama4_tensors(args, cfg, rng):
    """Llama4ForCausalLM's parameters as Transformers names and shapes them:
    MoE layers' experts fused input-major (gate_up_proj [experts][hidden][2
    x intermediate], the gate half first), a shared expert beside them."""
    d, E, f = args.hidden, args.experts, args.ffn
    normal = normal_of(rng)
    out = untied_layers(args, normal, biases=False)
    step = cfg["interleave_moe_layer_step"]
    for layer in range(args.layers):
        ff = f"model.layers.{layer}.feed_forward."
        if (layer + 1) % step == 0:
            out[ff + "router.weight"] = normal(E, d, std=d ** -0.5)
            out[ff + "experts.gate_up_proj"] = normal(E, d, 2 * f, std=d ** -0.5)
            out[ff + "experts.down_proj"] = normal(E, f, d, std=f ** -0.5)
            names, width = ("shared_expert.gate_proj", "shared_expert.up_proj",
                            "shared_expert.down_proj"), f
        else:
            names, width = ("gate_proj", "up_proj", "down_proj"), cfg["intermediate_size_mlp"]
        out[ff + names[0] + ".weight"] = normal(width, d, std=d ** -0.5)
        out[ff + names[1] + ".weight"] = normal(width, d, std=d ** -0.5)
        out[ff + names[2] + ".weight"] = normal(d, width, std=width ** -0.5)
    return out


def make(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--arch", choices=sorted(ARCHS), required=True)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=16)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=96)
    ap.add_argument("--vocab", type=int, default=256)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--bias", action="store_true")
    ap.add_argument("--window", type=int, default=None)
    ap.add_argument("--max-window-layers", type=int, default=0)
    ap.add_argument("--experts", type=int, default=4)
    ap.add_argument("--top-k", type=int, default=2)
    ap.add_argument("--no-norm-topk", action="store_true")
    ap.add_argument("--dtype", choices=["f32", "bf16", "f16"], default="f32")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--set", action="append", default=[])
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    cfg = config(args)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    out = tensors(args, cfg, rng)
    for name in args.drop:
        del out[name]
    write_safetensors(os.path.join(args.out, "model.safetensors"),
                      {k: out[k] for k in sorted(out)}, args.dtype)
    return args.out


if __name__ == "__main__":
    make()
