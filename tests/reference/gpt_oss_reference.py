"""tests/reference/gpt_oss_reference.py — a float32 PyTorch implementation of
Hugging Face's GptOssForCausalLM, written from Transformers' modeling_gpt_oss
semantics for the tests (Debian's python3-torch has no `transformers`): YaRN
RoPE (with "truncate": false) applied to both halves of each head, q/k/v/o
biases, attention over every position or a sliding window, one sink logit a
head that joins each softmax and carries no value, and every layer's experts
as GptOssExperts computes them on CPU: each expert over every token,
gate_up_proj [experts][hidden][2 x intermediate] with gate and up
interleaved, the gate clamped above, up clamped both ways, (up + 1) * gate *
sigmoid(1.702 gate), down_proj and its bias, weighted by the router's
softmax over its top k biased logits (zero for the others).  It shares no
code with pio and recomputes the whole sequence at every step.

    ref = GptOssReference.from_folder("tiny-gpt-oss")
    logits = ref.logits([1, 2, 3])        # float32 [3][vocab]
    tokens, rows = ref.greedy([1, 2, 3], 32)
"""
import math

import torch

from llama_reference import LlamaReference, rms_norm

ALPHA = 1.702  # GptOssExperts.alpha


def yarn_inv_freq(cfg, dim):
    """(inv_freq [dim / 2], attention_factor) as _compute_yarn_parameters, or
    the default frequencies and 1 without rope_scaling."""
    base = cfg.get("rope_theta", 150000.0)
    pos_freqs = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    scaling = cfg.get("rope_scaling")
    if not scaling:
        return 1.0 / pos_freqs, 1.0
    factor = scaling["factor"]
    original = scaling.get("original_max_position_embeddings") or cfg["max_position_embeddings"]
    attention_factor = scaling.get("attention_factor") or (
        1.0 if factor <= 1 else 0.1 * math.log(factor) + 1.0)
    beta_fast = scaling.get("beta_fast") or 32
    beta_slow = scaling.get("beta_slow") or 1

    def correction_dim(rotations):
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if scaling.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    extrapolation = 1 - ramp
    inv_freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolation) + (1.0 / pos_freqs) * extrapolation
    return inv_freq, attention_factor


def rotate(x, cos, sin):
    """GPT-OSS's _apply_rotary_emb: x [heads][n][dim], cos/sin [n][dim / 2]."""
    first, second = torch.chunk(x, 2, dim=-1)
    return torch.cat((first * cos - second * sin, second * cos + first * sin), dim=-1)


class GptOssReference:
    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.w = tensors
        self.n_layers = cfg["num_hidden_layers"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg["num_key_value_heads"]
        self.head_dim = cfg["head_dim"]
        self.eps = cfg.get("rms_norm_eps", 1e-5)
        self.top_k = cfg["num_experts_per_tok"]
        self.limit = cfg.get("swiglu_limit", 7.0)
        self.inv_freq, self.attention_factor = yarn_inv_freq(cfg, self.head_dim)
        types = cfg.get("layer_types") or [
            "sliding_attention" if (i + 1) % 2 else "full_attention"
            for i in range(self.n_layers)]
        self.windows = [cfg["sliding_window"] if t == "sliding_attention" else None
                        for t in types]

    # The reference of a model folder: its config.json and safetensors.
    from_folder = classmethod(LlamaReference.from_folder.__func__)

    def _attention(self, x, layer, cos, sin):
        p = f"model.layers.{layer}.self_attn."
        n, hd = x.shape[0], self.head_dim

        def project(name, heads):
            y = x @ self.w[p + name + ".weight"].T + self.w[p + name + ".bias"]
            return y.view(n, heads, hd).transpose(0, 1)

        q = rotate(project("q_proj", self.n_heads), cos, sin)
        k = rotate(project("k_proj", self.n_kv), cos, sin)
        v = project("v_proj", self.n_kv)
        group = self.n_heads // self.n_kv
        k, v = k.repeat_interleave(group, dim=0), v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) * hd ** -0.5  # [heads][n][n]
        i = torch.arange(n)[:, None]
        j = torch.arange(n)[None, :]
        hidden = j > i
        if self.windows[layer] is not None:
            hidden = hidden | (i - j >= self.windows[layer])
        scores = scores.masked_fill(hidden, float("-inf"))
        sinks = self.w[p + "sinks"].reshape(-1, 1, 1).expand(-1, n, 1)
        combined = torch.cat([scores, sinks], dim=-1)
        combined = combined - combined.max(dim=-1, keepdim=True).values
        probs = torch.softmax(combined, dim=-1)[..., :-1]
        out = (probs @ v).transpose(0, 1).reshape(n, self.n_heads * hd)
        return out @ self.w[p + "o_proj.weight"].T + self.w[p + "o_proj.bias"]

    def _experts(self, x, layer):
        p = f"model.layers.{layer}.mlp."
        logits = x @ self.w[p + "router.weight"].T + self.w[p + "router.bias"]
        top, chosen = torch.topk(logits, self.top_k, dim=-1)
        scores = torch.zeros_like(logits).scatter_(1, chosen, torch.softmax(top, dim=1))
        gate_up_w, gate_up_b = self.w[p + "experts.gate_up_proj"], self.w[p + "experts.gate_up_proj_bias"]
        down_w, down_b = self.w[p + "experts.down_proj"], self.w[p + "experts.down_proj_bias"]
        out = torch.zeros_like(x)
        for e in range(gate_up_w.shape[0]):
            gate_up = x @ gate_up_w[e] + gate_up_b[e]
            gate, up = gate_up[..., ::2], gate_up[..., 1::2]
            gate = gate.clamp(max=self.limit)
            up = up.clamp(min=-self.limit, max=self.limit)
            glu = gate * torch.sigmoid(gate * ALPHA)
            out += (((up + 1) * glu) @ down_w[e] + down_b[e]) * scores[:, e:e + 1]
        return out

    @torch.no_grad()
    def logits(self, tokens):
        """float32 numpy logits [len(tokens)][vocab] of every position."""
        ids = torch.tensor(tokens, dtype=torch.int64)
        x = self.w["model.embed_tokens.weight"][ids]
        freqs = torch.arange(len(tokens), dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        cos, sin = freqs.cos() * self.attention_factor, freqs.sin() * self.attention_factor
        for layer in range(self.n_layers):
            p = f"model.layers.{layer}."
            x = x + self._attention(rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps),
                                    layer, cos, sin)
            h = rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps)
            x = x + self._experts(h, layer)
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return (x @ self.w["lm_head.weight"].T).numpy()

    # n_new greedy tokens and the rows they were chosen from, as every
    # reference of the tests decodes.
    greedy = LlamaReference.greedy
