#!/usr/bin/python3
"""benchmarks/peer/write_gguf.py — a GGUF file of a Llama model's shapes
with random weights, for timing llama.cpp beside `pio-bench run --synthetic`
on the same shapes (the values do not change either one's speed).

    write_gguf.py CONFIG_JSON OUT.gguf [--dtype bf16|f16|f32] [--seed N]

CONFIG_JSON is a Hugging Face config.json (a preset such as
manifests/models/llama-3.2-1b.json).  The GGUF has no vocabulary
(tokenizer.ggml.model "none" with llama.vocab_size), which llama-bench
accepts: it feeds random token ids.  Matrices are one block of normal
random values (std 0.02) repeated, norms are ones; the output head is
written only when the config does not tie it to the embedding.  Writes
about the size of the model's weights in the chosen dtype.
"""
import argparse
import json
import struct
import sys

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32
# gguf value types
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, T_UINT64 = 4, 5, 6, 7, 8, 9, 10
# ggml tensor types
GGML_F32, GGML_F16, GGML_BF16 = 0, 1, 30
FILE_TYPES = {"f32": 0, "f16": 1, "bf16": 32}  # llama_ftype ALL_F32, MOSTLY_F16, MOSTLY_BF16
BLOCK = 1 << 20  # random values repeated to fill each matrix


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == T_STRING:
        return out + gguf_string(value)
    fmt = {T_UINT32: "<I", T_INT32: "<i", T_FLOAT32: "<f", T_BOOL: "<?", T_UINT64: "<Q"}[vtype]
    return out + struct.pack(fmt, value)


def tensors_of(cfg):
    """(name, shape as [rows, cols] like PyTorch, is_matrix) in file order."""
    d, ff, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    heads, kv_heads = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    hd = cfg.get("head_dim", d // heads)
    vocab = cfg["vocab_size"]
    out = [("token_embd.weight", [vocab, d], True), ("output_norm.weight", [d], False)]
    if not cfg.get("tie_word_embeddings", False):
        out.append(("output.weight", [vocab, d], True))
    for i in range(layers):
        p = f"blk.{i}."
        out += [(p + "attn_norm.weight", [d], False),
                (p + "attn_q.weight", [heads * hd, d], True),
                (p + "attn_k.weight", [kv_heads * hd, d], True),
                (p + "attn_v.weight", [kv_heads * hd, d], True),
                (p + "attn_output.weight", [d, heads * hd], True),
                (p + "ffn_norm.weight", [d], False),
                (p + "ffn_gate.weight", [ff, d], True),
                (p + "ffn_up.weight", [ff, d], True),
                (p + "ffn_down.weight", [d, ff], True)]
    return out


def metadata(cfg, dtype):
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = cfg.get("head_dim", d // heads)
    items = [
        kv("general.architecture", T_STRING, "llama"),
        kv("general.name", T_STRING, "pio synthetic " + cfg.get("model_type", "llama")),
        kv("general.file_type", T_UINT32, FILE_TYPES[dtype]),
        kv("general.alignment", T_UINT32, ALIGNMENT),
        kv("llama.context_length", T_UINT32, cfg.get("max_position_embeddings", 4096)),
        kv("llama.embedding_length", T_UINT32, d),
        kv("llama.block_count", T_UINT32, cfg["num_hidden_layers"]),
        kv("llama.feed_forward_length", T_UINT32, cfg["intermediate_size"]),
        kv("llama.attention.head_count", T_UINT32, heads),
        kv("llama.attention.head_count_kv", T_UINT32, cfg.get("num_key_value_heads", heads)),
        kv("llama.attention.key_length", T_UINT32, hd),
        kv("llama.attention.value_length", T_UINT32, hd),
        kv("llama.rope.dimension_count", T_UINT32, hd),
        kv("llama.rope.freq_base", T_FLOAT32, float(cfg.get("rope_theta", 10000.0))),
        kv("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, float(cfg.get("rms_norm_eps", 1e-5))),
        kv("llama.vocab_size", T_UINT32, cfg["vocab_size"]),
        kv("tokenizer.ggml.model", T_STRING, "none"),
    ]
    return items


def block_bytes(dtype, seed):
    values = np.random.default_rng(seed).standard_normal(BLOCK).astype(np.float32) * 0.02
    if dtype == "f32":
        return values.tobytes()
    if dtype == "f16":
        return values.astype(np.float16).tobytes()
    return (values.view(np.uint32) >> 16).astype(np.uint16).tobytes()  # bf16, truncated


def write(cfg, path, dtype, seed):
    esize = {"f32": 4, "f16": 2, "bf16": 2}[dtype]
    mtype = {"f32": GGML_F32, "f16": GGML_F16, "bf16": GGML_BF16}[dtype]
    tensors = tensors_of(cfg)
    meta = metadata(cfg, dtype)
    header = GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(tensors), len(meta)) + b"".join(meta)
    infos, offset, sizes = [], 0, []
    for name, shape, is_matrix in tensors:
        nbytes = int(np.prod(shape)) * (esize if is_matrix else 4)
        ne = list(reversed(shape))  # ggml: ne[0] is the innermost (contiguous) dimension
        infos.append(gguf_string(name) + struct.pack("<I", len(ne)) +
                     struct.pack(f"<{len(ne)}Q", *ne) +
                     struct.pack("<IQ", mtype if is_matrix else GGML_F32, offset))
        sizes.append((nbytes, is_matrix))
        offset += (nbytes + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    head = header + b"".join(infos)
    block = block_bytes(dtype, seed)
    ones = np.ones(BLOCK // 4, dtype=np.float32).tobytes()
    with open(path, "wb") as f:
        f.write(head)
        f.write(b"\0" * ((ALIGNMENT - len(head) % ALIGNMENT) % ALIGNMENT))
        for nbytes, is_matrix in sizes:
            src, left = (block if is_matrix else ones), nbytes
            while left > 0:
                chunk = src[:min(left, len(src))]
                f.write(chunk)
                left -= len(chunk)
            f.write(b"\0" * ((ALIGNMENT - nbytes % ALIGNMENT) % ALIGNMENT))
    return offset


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("out")
    ap.add_argument("--dtype", choices=["bf16", "f16", "f32"], default="bf16")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    with open(a.config) as f:
        cfg = json.load(f)
    if cfg.get("architectures", ["LlamaForCausalLM"])[0] != "LlamaForCausalLM":
        sys.exit(f"{a.config}: architectures: only LlamaForCausalLM is written, found "
                 f"{cfg.get('architectures')}")
    data = write(cfg, a.out, a.dtype, a.seed)
    print(f"{a.out}: {len(tensors_of(cfg))} tensors, {data / 2**30:.2f} GiB of {a.dtype} data")


if __name__ == "__main__":
    main(sys.argv[1:])
