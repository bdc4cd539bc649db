"""tests/reference/llama_reference.py — a float32 PyTorch implementation of
Hugging Face's LlamaForCausalLM, written from the Transformers semantics for
the tests (Debian's python3-torch has no `transformers`).  It shares no code
with pio: it reads config.json and the safetensors files itself.

    from llama_reference import LlamaReference
    ref = LlamaReference.from_folder("tiny-model")
    logits = ref.logits([1, 2, 3])        # float32 [3][vocab]
    tokens = ref.greedy([1, 2, 3], 32)    # 32 new token ids

Every step recomputes the whole sequence (no KV cache), so the reference
is independent of the cache logic it checks.
"""
import json
import math
import os
import struct

import numpy as np
import torch

_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def read_safetensors(path):
    """{name: float32 torch tensor} of one .safetensors file."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data[begin:end], dtype=_DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.from_numpy(raw.astype(np.float32).reshape(info["shape"]).copy())
    return out


def read_weights(folder):
    """All tensors of a model folder: the index's shards, or the single file."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = [n for n in os.listdir(folder) if n.endswith(".safetensors")]
    tensors = {}
    for name in files:
        tensors.update(read_safetensors(os.path.join(folder, name)))
    return tensors


def rope_inv_freq(cfg):
    """Transformers' default inverse frequencies, with the llama3 scaling."""
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg.get("rope_theta", 10000.0)
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    scaling = cfg.get("rope_scaling")
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type"))
    if kind != "llama3":
        return inv_freq
    factor = scaling["factor"]
    low = scaling["low_freq_factor"]
    high = scaling["high_freq_factor"]
    old_len = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_len / low
    high_freq_wavelen = old_len / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(medium, smoothed, inv_freq_llama)


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaReference:
    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.w = tensors
        self.n_layers = cfg["num_hidden_layers"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg.get("num_key_value_heads") or self.n_heads
        self.head_dim = cfg.get("head_dim") or cfg["hidden_size"] // self.n_heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.inv_freq = rope_inv_freq(cfg)
        if cfg.get("tie_word_embeddings", False):
            self.lm_head = tensors["model.embed_tokens.weight"]
        else:
            self.lm_head = tensors["lm_head.weight"]

    @classmethod
    def from_folder(cls, folder):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        return cls(cfg, read_weights(folder))

    def _attention(self, x, layer, cos, sin):
        p = f"model.layers.{layer}.self_attn."
        n = x.shape[0]
        q = (x @ self.w[p + "q_proj.weight"].T).view(n, self.n_heads, self.head_dim).transpose(0, 1)
        k = (x @ self.w[p + "k_proj.weight"].T).view(n, self.n_kv, self.head_dim).transpose(0, 1)
        v = (x @ self.w[p + "v_proj.weight"].T).view(n, self.n_kv, self.head_dim).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = self.n_heads // self.n_kv
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) * self.head_dim ** -0.5
        mask = torch.full((n, n), float("-inf")).triu(1)
        probs = torch.softmax(scores + mask, dim=-1, dtype=torch.float32)
        out = (probs @ v).transpose(0, 1).reshape(n, self.n_heads * self.head_dim)
        return out @ self.w[p + "o_proj.weight"].T

    def _mlp(self, x, layer):
        p = f"model.layers.{layer}.mlp."
        gate = x @ self.w[p + "gate_proj.weight"].T
        up = x @ self.w[p + "up_proj.weight"].T
        return (torch.nn.functional.silu(gate) * up) @ self.w[p + "down_proj.weight"].T

    @torch.no_grad()
    def logits(self, tokens):
        """float32 numpy logits [len(tokens)][vocab] of every position."""
        ids = torch.tensor(tokens, dtype=torch.int64)
        x = self.w["model.embed_tokens.weight"][ids]
        positions = torch.arange(len(tokens), dtype=torch.float32)
        freqs = positions[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        for layer in range(self.n_layers):
            p = f"model.layers.{layer}."
            h = rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps)
            x = x + self._attention(h, layer, cos, sin)
            h = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            x = x + self._mlp(h, layer)
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return (x @ self.lm_head.T).numpy()

    def greedy(self, tokens, n_new):
        """n_new greedily decoded token ids after tokens, and the logits each
        choice was made from (for tie-aware comparisons)."""
        seq = list(tokens)
        chosen, rows = [], []
        for _ in range(n_new):
            row = self.logits(seq)[-1]
            token = int(np.argmax(row))
            chosen.append(token)
            rows.append(row)
            seq.append(token)
        return chosen, rows
