"""tests/reference/decoder_reference.py — a float32 PyTorch implementation
of Hugging Face's Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM,
MistralForCausalLM, MixtralForCausalLM, Gemma2ForCausalLM and
Gemma3ForCausalLM, written from the Transformers semantics for the tests (Debian's python3-torch has no `transformers`).  It
shares no code with pio: it reads config.json and the safetensors files
itself (with llama_reference's reader), and recomputes the whole sequence
at every step (no KV cache).

    from decoder_reference import DecoderReference
    ref = DecoderReference.from_folder("tiny-qwen3")
    logits = ref.logits([1, 2, 3])        # float32 [3][vocab]
    tokens, rows = ref.greedy([1, 2, 3], 32)
"""
import json
import os

import numpy as np
import torch

from llama_reference import read_weights, rms_norm, rope_inv_freq, rotate_half


class DecoderReference:
    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.w = tensors
        arch = cfg["architectures"][0]
        self.arch = arch
        self.n_layers = cfg["num_hidden_layers"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg.get("num_key_value_heads") or self.n_heads
        self.head_dim = cfg.get("head_dim") or cfg["hidden_size"] // self.n_heads
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.gemma = arch.startswith("Gemma")
        self.inv_freq = self._inv_freq(cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"))
        # Gemma 3's sliding layers rotate on their own base, unscaled.
        self.local_inv_freq = (self._inv_freq(cfg.get("rope_local_base_freq", 10000.0), None)
                               if arch == "Gemma3ForCausalLM" else self.inv_freq)
        # Qwen2 always biases q, k and v; Qwen3 all four when attention_bias.
        qwen3 = arch in ("Qwen3ForCausalLM", "Qwen3MoeForCausalLM")
        self.qk_norm = qwen3 or arch == "Gemma3ForCausalLM"
        self.qkv_bias = arch == "Qwen2ForCausalLM" or (qwen3 and cfg.get("attention_bias", False))
        self.o_bias = qwen3 and cfg.get("attention_bias", False)
        self.windows = self._windows()
        self.experts = self._experts()
        tied = cfg.get("tie_word_embeddings", self.gemma)
        self.lm_head = tensors["model.embed_tokens.weight" if tied else "lm_head.weight"]

    def _inv_freq(self, theta, scaling):
        """Transformers' default inverse frequencies; linear scaling divides them,
        llama3's is llama_reference's."""
        kind = (scaling or {}).get("rope_type", (scaling or {}).get("type"))
        if kind == "llama3":
            return rope_inv_freq(dict(self.cfg, rope_theta=theta, head_dim=self.head_dim))
        exponents = torch.arange(0, self.head_dim, 2, dtype=torch.int64).float() / self.head_dim
        inv_freq = 1.0 / (theta ** exponents)
        return inv_freq / scaling["factor"] if kind == "linear" else inv_freq

    def _norm(self, x, name):
        """RMSNorm; Gemma's scales by 1 + weight."""
        weight = self.w[name]
        return rms_norm(x, 1.0 + weight if self.gemma else weight, self.eps)

    def _windows(self):
        """Each layer's sliding window, or None for full attention."""
        cfg, n = self.cfg, self.n_layers
        if self.arch.startswith(("Mistral", "Mixtral")):
            return [cfg.get("sliding_window")] * n
        if self.gemma:
            period = 2 if self.arch == "Gemma2ForCausalLM" else cfg.get("sliding_window_pattern", 6)
            types = cfg.get("layer_types") or [
                "sliding_attention" if (i + 1) % period else "full_attention" for i in range(n)]
            return [cfg["sliding_window"] if t == "sliding_attention" else None for t in types]
        window = cfg.get("sliding_window") if cfg.get("use_sliding_window", False) else None
        types = cfg.get("layer_types")
        if types is None:
            start = cfg.get("max_window_layers", n)
            types = ["sliding_attention" if window is not None and i >= start else "full_attention"
                     for i in range(n)]
        return [window if t == "sliding_attention" else None for t in types]

    def _experts(self):
        """(experts, top_k, renormalise, names) of each layer, or None when dense."""
        cfg = self.cfg
        if self.arch == "MixtralForCausalLM":
            info = (cfg.get("num_local_experts", 8), cfg.get("num_experts_per_tok", 2), True,
                    "block_sparse_moe.gate.weight", "block_sparse_moe.experts.{}.",
                    ("w1", "w3", "w2"))
            return [info] * self.n_layers
        if self.arch != "Qwen3MoeForCausalLM":
            return [None] * self.n_layers
        step = cfg.get("decoder_sparse_step", 1)
        dense = set(cfg.get("mlp_only_layers", []))
        info = (cfg["num_experts"], cfg["num_experts_per_tok"], cfg.get("norm_topk_prob", False),
                "mlp.gate.weight", "mlp.experts.{}.", ("gate_proj", "up_proj", "down_proj"))
        return [info if i not in dense and (i + 1) % step == 0 else None
                for i in range(self.n_layers)]

    @classmethod
    def from_folder(cls, folder):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        return cls(cfg, read_weights(folder))

    def _project(self, x, p, name, heads):
        y = x @ self.w[p + name + ".weight"].T
        if self.qkv_bias:
            y = y + self.w[p + name + ".bias"]
        return y.view(x.shape[0], heads, self.head_dim)

    def _attention(self, x, layer, rope):
        p = f"model.layers.{layer}.self_attn."
        n = x.shape[0]
        q = self._project(x, p, "q_proj", self.n_heads)
        k = self._project(x, p, "k_proj", self.n_kv)
        v = self._project(x, p, "v_proj", self.n_kv)
        if self.qk_norm:  # Qwen3, Gemma 3: RMSNorm over each head, before RoPE
            q = self._norm(q, p + "q_norm.weight")
            k = self._norm(k, p + "k_norm.weight")
        q, k, v = (t.transpose(0, 1) for t in (q, k, v))
        cos, sin = rope[self.windows[layer] is not None]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = self.n_heads // self.n_kv
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        scale = self.cfg.get("query_pre_attn_scalar", self.head_dim) ** -0.5
        scores = (q @ k.transpose(1, 2)) * (scale if self.gemma else self.head_dim ** -0.5)
        cap = self.cfg.get("attn_logit_softcapping") if self.gemma else None
        if cap:
            scores = torch.tanh(scores / cap) * cap
        i = torch.arange(n)[:, None]
        j = torch.arange(n)[None, :]
        allowed = j <= i
        window = self.windows[layer]
        if window is not None:  # position i sees (i - window, i]
            allowed = allowed & (j > i - window)
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        out = (probs @ v).transpose(0, 1).reshape(n, self.n_heads * self.head_dim)
        out = out @ self.w[p + "o_proj.weight"].T
        if self.o_bias:
            out = out + self.w[p + "o_proj.bias"]
        return out

    def _swiglu(self, x, p, names):
        gate = x @ self.w[p + names[0] + ".weight"].T
        up = x @ self.w[p + names[1] + ".weight"].T
        act = (torch.nn.functional.gelu(gate, approximate="tanh") if self.gemma
               else torch.nn.functional.silu(gate))
        return (act * up) @ self.w[p + names[2] + ".weight"].T

    def _moe(self, x, layer, info):
        n_experts, top_k, renormalise, router, expert, names = info
        p = f"model.layers.{layer}."
        probs = torch.softmax(x @ self.w[p + router].T, dim=-1, dtype=torch.float32)
        weights, chosen = torch.topk(probs, top_k, dim=-1)
        if renormalise:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(x)
        for t in range(x.shape[0]):
            for j in range(top_k):
                e = int(chosen[t, j])
                out[t] += weights[t, j] * self._swiglu(x[t:t + 1], p + expert.format(e), names)[0]
        return out

    @torch.no_grad()
    def logits(self, tokens):
        """float32 numpy logits [len(tokens)][vocab] of every position."""
        ids = torch.tensor(tokens, dtype=torch.int64)
        x = self.w["model.embed_tokens.weight"][ids]
        if self.gemma:  # embeddings scaled by sqrt(hidden_size)
            x = x * self.cfg["hidden_size"] ** 0.5
        positions = torch.arange(len(tokens), dtype=torch.float32)
        rope = []
        for inv_freq in (self.inv_freq, self.local_inv_freq):  # [full, sliding]
            freqs = positions[:, None] * inv_freq[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            rope.append((emb.cos(), emb.sin()))
        mlp_names = ("gate_proj", "up_proj", "down_proj")
        for layer in range(self.n_layers):
            p = f"model.layers.{layer}."
            h = self._norm(x, p + "input_layernorm.weight")
            if self.gemma:  # a norm before and after each sublayer
                x = x + self._norm(self._attention(h, layer, rope),
                                   p + "post_attention_layernorm.weight")
                h = self._norm(x, p + "pre_feedforward_layernorm.weight")
                x = x + self._norm(self._swiglu(h, p + "mlp.", mlp_names),
                                   p + "post_feedforward_layernorm.weight")
                continue
            x = x + self._attention(h, layer, rope)
            h = self._norm(x, p + "post_attention_layernorm.weight")
            info = self.experts[layer]
            x = x + (self._moe(h, layer, info) if info else self._swiglu(h, p + "mlp.", mlp_names))
        x = self._norm(x, "model.norm.weight")
        logits = x @ self.lm_head.T
        cap = self.cfg.get("final_logit_softcapping") if self.gemma else None
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return logits.numpy()

    def greedy(self, tokens, n_new):
        """n_new greedily decoded ids after tokens, and the logits of each choice."""
        seq = list(tokens)
        chosen, rows = [], []
        for _ in range(n_new):
            row = self.logits(seq)[-1]
            token = int(np.argmax(row))
            chosen.append(token)
            rows.append(row)
            seq.append(token)
        return chosen, rows
