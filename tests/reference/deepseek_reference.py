"""tests/reference/deepseek_reference.py — a float32 PyTorch implementation
of Hugging Face's DeepseekV3ForCausalLM, written from the Transformers
semantics for the tests (Debian's python3-torch has no `transformers`).  It
shares no code with pio and computes attention the naive way: keys and
values decompressed per head from the latent (kv_b_proj applied), never the
absorbed form pio runs.

    from deepseek_reference import DeepseekReference
    ref = DeepseekReference.from_folder("tiny-model")
    logits = ref.logits([1, 2, 3])        # float32 [3][vocab]
    tokens, rows = ref.greedy([1, 2, 3], 8)

Routing follows config.json's scoring_func (sigmoid, or softmax) and
topk_method (noaux_tc: biased scores, groups ranked by their best two;
group_limited_greedy: groups ranked by their best; greedy: no groups), the
experts of groups not kept never chosen.  Every step recomputes the whole
sequence (no cache), so the reference is independent of the cache logic.
"""
import json
import math
import os

import numpy as np
import torch

from llama_reference import read_weights, rms_norm, rotate_half

# Transformers builds q_a_layernorm and kv_a_layernorm with this eps.
LATENT_EPS = 1e-6


def yarn_get_mscale(scale, mscale=1.0):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_tables(cfg, n):
    """(cos, sin) [n][rope_dim] as Transformers' DeepseekV3RotaryEmbedding,
    default or yarn (_compute_yarn_parameters)."""
    dim = cfg["qk_rope_head_dim"]
    base = cfg.get("rope_theta", 10000.0)
    scaling = cfg.get("rope_scaling")
    pos_freqs = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    inv_freq = 1.0 / pos_freqs
    attention_factor = 1.0
    if scaling:
        factor = scaling["factor"]
        original = scaling.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
        mscale, mscale_all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
        if mscale and mscale_all_dim:
            attention_factor = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, mscale_all_dim)
        else:
            attention_factor = yarn_get_mscale(factor)
        beta_fast = scaling.get("beta_fast") or 32
        beta_slow = scaling.get("beta_slow") or 1

        def correction_dim(rotations):
            return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low = max(math.floor(correction_dim(beta_fast)), 0)
        high = min(math.ceil(correction_dim(beta_slow)), dim - 1)
        if low == high:
            high += 0.001
        ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
        extrapolation = 1 - ramp
        inv_freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolation) + inv_freq * extrapolation
    positions = torch.arange(n, dtype=torch.float32)
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * attention_factor, emb.sin() * attention_factor


def rotate(x, cos, sin, interleave):
    """x [..., n, dim] rotated; interleave as apply_rotary_pos_emb_interleave."""
    if interleave:
        shape = x.shape
        x = x.reshape(*shape[:-1], shape[-1] // 2, 2).transpose(-1, -2).reshape(shape)
    return x * cos + rotate_half(x) * sin


class DeepseekReference:
    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.w = tensors
        self.h = cfg["num_attention_heads"]
        self.nope = cfg["qk_nope_head_dim"]
        self.rope = cfg["qk_rope_head_dim"]
        self.v = cfg["v_head_dim"]
        self.rank = cfg["kv_lora_rank"]
        self.q_lora = cfg.get("q_lora_rank")
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.interleave = cfg.get("rope_interleave", True)
        self.scale = (self.nope + self.rope) ** -0.5
        scaling = cfg.get("rope_scaling")
        if scaling and scaling.get("mscale_all_dim"):
            m = yarn_get_mscale(scaling["factor"], scaling["mscale_all_dim"])
            self.scale *= m * m
        tied = cfg.get("tie_word_embeddings", False)
        self.lm_head = tensors["model.embed_tokens.weight" if tied else "lm_head.weight"]

    @classmethod
    def from_folder(cls, folder):
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        return cls(cfg, read_weights(folder))

    def _bias(self, name):
        return self.w.get(name, 0.0)

    def _attention(self, x, layer, cos, sin):
        p = f"model.layers.{layer}.self_attn."
        n, qk = x.shape[0], self.nope + self.rope
        if self.q_lora:
            qa = x @ self.w[p + "q_a_proj.weight"].T + self._bias(p + "q_a_proj.bias")
            q = rms_norm(qa, self.w[p + "q_a_layernorm.weight"], LATENT_EPS) @ self.w[p + "q_b_proj.weight"].T
        else:
            q = x @ self.w[p + "q_proj.weight"].T
        q = q.view(n, self.h, qk).transpose(0, 1)                       # [h][n][qk]
        q_nope, q_rot = q[..., :self.nope], q[..., self.nope:]
        kv_a = x @ self.w[p + "kv_a_proj_with_mqa.weight"].T + self._bias(p + "kv_a_proj_with_mqa.bias")
        c_kv, k_rot = kv_a[:, :self.rank], kv_a[:, self.rank:]
        kv = rms_norm(c_kv, self.w[p + "kv_a_layernorm.weight"], LATENT_EPS) @ self.w[p + "kv_b_proj.weight"].T
        kv = kv.view(n, self.h, self.nope + self.v).transpose(0, 1)     # [h][n][nope + v]
        k_nope, value = kv[..., :self.nope], kv[..., self.nope:]
        q_rot = rotate(q_rot, cos, sin, self.interleave)
        k_rot = rotate(k_rot[None], cos, sin, self.interleave).expand(self.h, n, self.rope)
        query = torch.cat((q_nope, q_rot), dim=-1)
        key = torch.cat((k_nope, k_rot), dim=-1)
        scores = (query @ key.transpose(1, 2)) * self.scale
        mask = torch.full((n, n), float("-inf")).triu(1)
        probs = torch.softmax(scores + mask, dim=-1, dtype=torch.float32)
        out = (probs @ value).transpose(0, 1).reshape(n, self.h * self.v)
        return out @ self.w[p + "o_proj.weight"].T + self._bias(p + "o_proj.bias")

    def _mlp(self, x, prefix):
        gate = x @ self.w[prefix + "gate_proj.weight"].T
        up = x @ self.w[prefix + "up_proj.weight"].T
        return (torch.nn.functional.silu(gate) * up) @ self.w[prefix + "down_proj.weight"].T

    def _route(self, x, p):
        """(indices [n][k], weights [n][k]) of every token."""
        cfg = self.cfg
        n_exp, k = cfg["n_routed_experts"], cfg["num_experts_per_tok"]
        logits = x @ self.w[p + "gate.weight"].T
        scores = logits.sigmoid() if cfg.get("scoring_func", "sigmoid") == "sigmoid" \
            else logits.softmax(dim=-1)
        method = cfg.get("topk_method", "noaux_tc")
        choice = scores + self.w[p + "gate.e_score_correction_bias"] if method == "noaux_tc" else scores
        n_group = cfg.get("n_group") or 1
        if method != "greedy" and n_group > 1:
            grouped = choice.view(-1, n_group, n_exp // n_group)
            if method == "noaux_tc":
                group_scores = grouped.topk(2, dim=-1)[0].sum(dim=-1)
            else:
                group_scores = grouped.max(dim=-1).values
            kept = torch.topk(group_scores, k=cfg["topk_group"], dim=-1)[1]
            mask = torch.zeros_like(group_scores).scatter_(1, kept, 1).bool()
            mask = mask[:, :, None].expand(-1, -1, n_exp // n_group).reshape(-1, n_exp)
            choice = choice.masked_fill(~mask, float("-inf"))
        indices = torch.topk(choice, k=k, dim=-1)[1]
        weights = scores.gather(1, indices)
        if cfg.get("norm_topk_prob", True):
            weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
        return indices, weights * cfg.get("routed_scaling_factor", 2.5)

    def _moe(self, x, layer):
        p = f"model.layers.{layer}.mlp."
        indices, weights = self._route(x, p)
        out = torch.zeros_like(x)
        for t in range(x.shape[0]):
            for j in range(indices.shape[1]):
                e = int(indices[t, j])
                out[t] += weights[t, j] * self._mlp(x[t:t + 1], f"{p}experts.{e}.")[0]
        if self.cfg.get("n_shared_experts"):
            out = out + self._mlp(x, p + "shared_experts.")
        return out

    def _is_moe(self, layer):
        cfg = self.cfg
        return bool(cfg.get("n_routed_experts")) and layer >= cfg.get("first_k_dense_replace", 0) \
            and layer % cfg.get("moe_layer_freq", 1) == 0

    @torch.no_grad()
    def logits(self, tokens):
        """float32 numpy logits [len(tokens)][vocab] of every position."""
        ids = torch.tensor(tokens, dtype=torch.int64)
        x = self.w["model.embed_tokens.weight"][ids]
        cos, sin = rope_tables(self.cfg, len(tokens))
        for layer in range(self.cfg["num_hidden_layers"]):
            p = f"model.layers.{layer}."
            h = rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps)
            x = x + self._attention(h, layer, cos, sin)
            h = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            x = x + (self._moe(h, layer) if self._is_moe(layer) else self._mlp(h, p + "mlp."))
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return (x @ self.lm_head.T).numpy()

    def greedy(self, tokens, n_new):
        """n_new greedily decoded ids after tokens, and the logits each
        choice was made from."""
        seq = list(tokens)
        chosen, rows = [], []
        for _ in range(n_new):
            row = self.logits(seq)[-1]
            token = int(np.argmax(row))
            chosen.append(token)
            rows.append(row)
            seq.append(token)
        return chosen, rows
