"""tests/reference/llama4_reference.py — a float32 PyTorch implementation of
Hugging Face's Llama4ForCausalLM (the text model), written from
Transformers' modeling_llama4 semantics for the tests: layers with RoPE
(no_rope_layers[i] = 1) rotate q and k as complex pairs (view_as_complex
of (2i, 2i + 1)) with llama3 frequencies, L2-normalise them without
weights (use_qk_norm) and attend within their attention_chunk_size chunk;
NoPE layers attend to every earlier position and scale their queries by
log(floor((p + 1) / floor_scale) + 1) * attn_scale + 1; MoE layers
(every interleave_moe_layer_step-th) choose the top k experts on the
router's logits, feed each chosen expert its input times sigmoid(logit)
(gate_up_proj [experts][hidden][2 x intermediate], gate half first), and
add the shared expert's SwiGLU of the token; dense layers use
intermediate_size_mlp.  It shares no code with pio and recomputes the
whole sequence at every step.

    ref = Llama4Reference.from_folder("tiny-llama4")
    logits = ref.logits([1, 2, 3])        # float32 [3][vocab]
"""
import torch

from llama_reference import LlamaReference, rms_norm, rope_inv_freq


def rotate_pairs(x, cos, sin):
    """x [heads][n][dim] rotated as complex pairs (2i, 2i + 1) by angle i."""
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    re, im = pairs[..., 0], pairs[..., 1]
    return torch.stack((re * cos - im * sin, re * sin + im * cos), dim=-1).flatten(-2)


def l2_norm(x, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class Llama4Reference:
    def __init__(self, cfg, tensors):
        self.cfg = cfg
        self.w = tensors
        self.n_layers = cfg["num_hidden_layers"]
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg["num_key_value_heads"]
        self.head_dim = cfg["head_dim"]
        self.eps = cfg["rms_norm_eps"]
        self.top_k = cfg["num_experts_per_tok"]
        self.inv_freq = rope_inv_freq(cfg)
        interval = cfg.get("no_rope_layer_interval", 4)
        self.rope = cfg.get("no_rope_layers") or [
            int((i + 1) % interval != 0) for i in range(self.n_layers)]
        step = cfg.get("interleave_moe_layer_step", 1)
        self.moe = [(i + 1) % step == 0 for i in range(self.n_layers)]

    from_folder = classmethod(LlamaReference.from_folder.__func__)
    greedy = LlamaReference.greedy

    def _attention(self, x, layer, cos, sin):
        p = f"model.layers.{layer}.self_attn."
        n, hd = x.shape[0], self.head_dim

        def project(name, heads):
            return (x @ self.w[p + name + ".weight"].T).view(n, heads, hd).transpose(0, 1)

        q, k, v = project("q_proj", self.n_heads), project("k_proj", self.n_kv), project(
            "v_proj", self.n_kv)
        i = torch.arange(n)[:, None]
        j = torch.arange(n)[None, :]
        hidden = j > i
        if self.rope[layer]:
            q, k = rotate_pairs(q, cos, sin), rotate_pairs(k, cos, sin)
            if self.cfg.get("use_qk_norm"):
                q, k = l2_norm(q, self.eps), l2_norm(k, self.eps)
            chunk = self.cfg["attention_chunk_size"]
            hidden = hidden | (i // chunk != j // chunk)
        elif self.cfg.get("attn_temperature_tuning"):
            positions = torch.arange(n, dtype=torch.float32)
            scales = torch.log(torch.floor((positions + 1.0) / self.cfg["floor_scale"]) + 1.0)
            q = q * (scales * self.cfg["attn_scale"] + 1.0)[None, :, None]
        group = self.n_heads // self.n_kv
        k, v = k.repeat_interleave(group, dim=0), v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) * hd ** -0.5
        probs = torch.softmax(scores.masked_fill(hidden, float("-inf")), dim=-1)
        out = (probs @ v).transpose(0, 1).reshape(n, self.n_heads * hd)
        return out @ self.w[p + "o_proj.weight"].T

    def _swiglu(self, x, prefix):
        gate = x @ self.w[prefix + "gate_proj.weight"].T
        up = x @ self.w[prefix + "up_proj.weight"].T
        return (torch.nn.functional.silu(gate) * up) @ self.w[prefix + "down_proj.weight"].T

    def _feed_forward(self, x, layer):
        p = f"model.layers.{layer}.feed_forward."
        if not self.moe[layer]:
            return self._swiglu(x, p)
        logits = x @ self.w[p + "router.weight"].T
        top, chosen = torch.topk(logits, self.top_k, dim=1)
        scores = torch.sigmoid(torch.full_like(logits, float("-inf")).scatter_(1, chosen, top))
        gate_up_w, down_w = self.w[p + "experts.gate_up_proj"], self.w[p + "experts.down_proj"]
        out = self._swiglu(x, p + "shared_expert.")
        for e in range(gate_up_w.shape[0]):
            gate, up = ((x * scores[:, e:e + 1]) @ gate_up_w[e]).chunk(2, dim=-1)
            out = out + (up * torch.nn.functional.silu(gate)) @ down_w[e]
        return out

    @torch.no_grad()
    def logits(self, tokens):
        """float32 numpy logits [len(tokens)][vocab] of every position."""
        ids = torch.tensor(tokens, dtype=torch.int64)
        x = self.w["model.embed_tokens.weight"][ids]
        angles = torch.arange(len(tokens), dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        cos, sin = angles.cos(), angles.sin()
        for layer in range(self.n_layers):
            p = f"model.layers.{layer}."
            x = x + self._attention(rms_norm(x, self.w[p + "input_layernorm.weight"], self.eps),
                                    layer, cos, sin)
            x = x + self._feed_forward(
                rms_norm(x, self.w[p + "post_attention_layernorm.weight"], self.eps), layer)
        x = rms_norm(x, self.w["model.norm.weight"], self.eps)
        return (x @ self.w["lm_head.weight"].T).numpy()
