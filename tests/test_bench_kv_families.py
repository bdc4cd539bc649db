#!/usr/bin/python3
"""tests/test_bench_kv_families.py — `pio-bench kv` on the families users ask
about (Qwen3, Qwen2, Qwen3-MoE, Mistral, Mixtral, Gemma 2 and 3, GPT-OSS,
Llama 4, Jamba), driven as a user drives it.  Every expected figure is
computed here by hand from the published hyper-parameters written in this
file (not by calling pio code): parameter counts (all, and active per token
for every MoE) against the counts the model makers publish, KV bytes by
layer class, a request's cache counting each window, recurrent state,
quantised caches with their scales, config.json's kv_cache_scheme, the
memory fit that refuses weights larger than memory, and kvbench's formula
where kvbench has the model.

usage: test_bench_kv_families.py PIO_BENCH
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import bench_cli  # noqa: E402

BENCH = sys.argv[1]
del sys.argv[1]
PRESETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manifests", "models")


def run(*args, env=None, check_rc=None):
    return bench_cli.run(BENCH, *args, env=env, check_rc=check_rc)


def kv_json(model, *args, env=None):
    return bench_cli.kv_json(BENCH, model, *args, env=env)


# ---- parameter counts by hand, from each family's published shapes ----

def outer(vocab, d, tied):
    """Embeddings, lm_head unless tied, final norm."""
    return vocab * d * (1 if tied else 2) + d


def attn(d, heads, kv, hd):
    return d * heads * hd + 2 * d * kv * hd + heads * hd * d


def qwen3_dense(layers, d, heads, kv, hd, ff, vocab, tied=False):
    layer = attn(d, heads, kv, hd) + 2 * hd + 2 * d + 3 * d * ff  # q/k norms, 2 norms
    return outer(vocab, d, tied) + layers * layer


def qwen3_moe(layers, d, heads, kv, hd, experts, top, moe_ff, vocab):
    common = attn(d, heads, kv, hd) + 2 * hd + 2 * d + d * experts  # + router
    return (outer(vocab, d, False) + layers * (common + experts * 3 * d * moe_ff),
            outer(vocab, d, False) + layers * (common + top * 3 * d * moe_ff))


def mistral(layers, d, heads, kv, ff, vocab, experts=0, top=0):
    common = attn(d, heads, kv, d // heads) + 2 * d
    if not experts:
        n = outer(vocab, d, False) + layers * (common + 3 * d * ff)
        return n, n
    common += d * experts
    return (outer(vocab, d, False) + layers * (common + experts * 3 * d * ff),
            outer(vocab, d, False) + layers * (common + top * 3 * d * ff))


def gemma(layers, d, heads, kv, hd, ff, vocab, qk_norm):
    layer = attn(d, heads, kv, hd) + (2 * hd if qk_norm else 0) + 4 * d + 3 * d * ff
    return outer(vocab, d, True) + layers * layer


def siglip(h, f, layers, image, patch, text_d):
    """SigLIP vision tower and Gemma 3's projector."""
    embed = 3 * patch * patch * h + h + (image // patch) ** 2 * h
    layer = 2 * h + 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h)
    return embed + layers * layer + 2 * h + h * text_d + h


def gpt_oss(layers, experts, top=4, d=2880, heads=64, kv=8, hd=64, ff=2880, vocab=201088):
    a = attn(d, heads, kv, hd) + (heads * hd + 2 * kv * hd + d) + heads + 2 * d  # biases, sinks
    router = d * experts + experts
    expert = d * 2 * ff + 2 * ff + ff * d + d
    return (outer(vocab, d, False) + layers * (a + router + experts * expert),
            outer(vocab, d, False) + layers * (a + router + top * expert))


def llama4_scout():
    d, layers, heads, kv, hd, ff, experts, vocab = 5120, 48, 40, 8, 128, 8192, 16, 202048
    common = attn(d, heads, kv, hd) + 2 * d + d * experts  # q/k L2 norms have no weights
    text = outer(vocab, d, False) + layers * (common + (experts + 1) * 3 * d * ff)
    active = outer(vocab, d, False) + layers * (common + (1 + 1) * 3 * d * ff)
    h, f = 1408, 5632  # vision: patches, class token, positions, 2 LayerNorms, 34 layers
    vision = (3 * 14 * 14 * h + h + ((336 // 14) ** 2 + 1) * h + 4 * h
              + 34 * (4 * (h * h + h) + 4 * h + (h * f + f) + (f * h + h))
              + f * 4096 + 4096 * 4096  # pixel-shuffle adapter
              + 4096 * d)  # projector
    return text + vision, active


def jamba_v01():
    d, layers, inner, rank, state, conv, experts, ff, vocab = 4096, 32, 8192, 256, 16, 4, 16, 14336, 65536
    mamba = (d * 2 * inner + inner * conv + inner + inner * (rank + 2 * state) + rank * inner
             + inner + inner * state + inner + inner * d + rank + 2 * state)
    total = active = outer(vocab, d, False)
    for i in range(layers):
        mixer = (attn(d, 32, 8, 128) if i % 8 == 4 else mamba) + 2 * d
        moe = i % 2 == 1
        total += mixer + (d * experts + experts * 3 * d * ff if moe else 3 * d * ff)
        active += mixer + (d * experts + 2 * 3 * d * ff if moe else 3 * d * ff)
    return total, active


B = 10 ** 9
# preset: (total, active, published total in B, published active in B, digits published).
# Published: the model cards (Qwen3: 0.6B, 8.2B, 32.8B, 235B/22B; Mixtral: 46.7B/12.9B; GPT-OSS:
# 116.8B/5.1B and 20.9B/3.6B; Llama 4 Scout: 109B/17B; Jamba: 52B/12B) and the weights'
# safetensors counts on Hugging Face (Mistral-7B 7.24B, Gemma 3 1B 1.00B, 27B 27.4B, Gemma 2
# 9B 9.24B).
QWEN235 = qwen3_moe(94, 4096, 64, 4, 128, 128, 8, 1536, 151936)
GPT120, GPT20 = gpt_oss(36, 128), gpt_oss(24, 32)
SCOUT, JAMBA = llama4_scout(), jamba_v01()
G27 = gemma(62, 5376, 32, 16, 128, 21504, 262208, True) + siglip(1152, 4304, 27, 896, 14, 5376)
PARAMS = {
    "qwen3-0.6b": (qwen3_dense(28, 1024, 16, 8, 128, 3072, 151936, tied=True),) * 2
                  + (0.6, None, 1),
    "qwen3-8b": (qwen3_dense(36, 4096, 32, 8, 128, 12288, 151936),) * 2 + (8.2, None, 1),
    "qwen3-32b": (qwen3_dense(64, 5120, 64, 8, 128, 25600, 151936),) * 2 + (32.8, None, 1),
    "qwen3-235b-a22b": QWEN235 + (235, 22, 0),
    "mistral-7b": mistral(32, 4096, 32, 8, 14336, 32000) + (7.24, None, 2),
    "mixtral-8x7b": mistral(32, 4096, 32, 8, 14336, 32000, 8, 2) + (46.7, 12.9, 1),
    "gemma-3-1b": (gemma(26, 1152, 4, 1, 256, 6912, 262144, True),) * 2 + (1.00, None, 2),
    "gemma-3-27b": (G27, G27, 27.4, None, 1),
    "gemma-2-9b": (gemma(42, 3584, 16, 8, 256, 14336, 256000, False),) * 2 + (9.24, None, 2),
    "gpt-oss-120b": GPT120 + (116.8, 5.1, 1),
    "gpt-oss-20b": GPT20 + (20.9, 3.6, 1),
    "llama-4-scout": SCOUT + (109, 17, 0),
    "jamba-v0.1": JAMBA + (52, 12, 0),
}
# OpenAI counts a token's active parameters without the input embedding table (a token reads
# one row of it); pio counts it, as Meta, Mistral and DeepSeek do.
ACTIVE_LESS = {"gpt-oss-120b": 201088 * 2880, "gpt-oss-20b": 201088 * 2880}


class Env(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio_kv_families_")
        os.environ["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")
        os.environ.pop("PIO_MODELS_PATH", None)
        os.environ.pop("PIO_PLUGIN_PATH", None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def folder(self, name, preset, **changes):
        """A model folder holding preset's config.json with changes."""
        with open(os.path.join(PRESETS, preset + ".json")) as f:
            config = json.load(f)
        config.update(changes)
        path = os.path.join(self.tmp, name)
        os.makedirs(path)
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f)
        return path


class ParameterCounts(Env):
    def test_every_preset_counts_its_published_parameters(self):
        for name, (total, active, pub, pub_active, digits) in PARAMS.items():
            with self.subTest(model=name):
                j = kv_json(name)
                self.assertEqual(j["n_params"], total)
                self.assertEqual(j["n_params_active"], active)
                self.assertEqual(round(total / B, digits), pub)
                if pub_active is not None:
                    used = active - ACTIVE_LESS.get(name, 0)
                    self.assertEqual(round(used / B, digits), pub_active)

    def test_a_field_the_plugin_does_not_read_is_warned_about(self):
        # Every family lists the config.json fields it reads
        # (pio_config_api.fields); one no plugin reads is named.
        for preset in ("qwen3-8b", "mixtral-8x7b", "gemma-2-9b", "gpt-oss-20b", "llama-4-scout",
                       "jamba-v0.1"):
            with self.subTest(preset=preset):
                folder = self.folder("unread_" + preset, preset, logit_scale=4.0)
                p = run("kv", "--model", folder, check_rc=0)
                self.assertIn("does not read field 'logit_scale'", p.stderr)
                self.assertEqual(p.stderr.count("warning"), 1, p.stderr)

    def test_llama4_text_config_counts_attention_biases_it_says_it_has(self):
        with open(os.path.join(PRESETS, "llama-4-scout.json")) as f:
            text = json.load(f)["text_config"]
        counts = {}
        for bias in (False, True):
            path = os.path.join(self.tmp, f"scout_text_{bias}")
            os.makedirs(path)
            with open(os.path.join(path, "config.json"), "w") as f:
                json.dump(dict(text, architectures=["Llama4ForCausalLM"], attention_bias=bias), f)
            p = run("kv", "--model", path, "--json", check_rc=0)
            self.assertNotIn("warning", p.stderr)
            counts[bias] = json.loads(p.stdout)["n_params"]
        # q, k, v and o biases on each of 48 layers: 40 x 128 + 2 x 8 x 128 + 5120.
        self.assertEqual(counts[True] - counts[False], 48 * (40 * 128 + 2 * 8 * 128 + 5120))

    def test_moe_presets_name_their_experts(self):
        for name, experts, top in (("qwen3-235b-a22b", 128, 8), ("mixtral-8x7b", 8, 2),
                                   ("gpt-oss-120b", 128, 4), ("llama-4-scout", 16, 1),
                                   ("jamba-v0.1", 16, 2), ("qwen3-8b", 0, 0)):
            with self.subTest(model=name):
                j = kv_json(name)
                self.assertEqual((j["n_experts"], j["n_experts_per_token"]), (experts, top))

    def test_qwen2_has_qkv_biases_and_no_qk_norm(self):
        # Qwen2.5-7B: 28 layers, 3584 hidden, 28 heads, 4 KV heads, 18944 intermediate.
        d, heads, kv, hd, ff, layers, vocab = 3584, 28, 4, 128, 18944, 28, 152064
        path = self.folder("Qwen2.5-7B", "qwen3-8b", architectures=["Qwen2ForCausalLM"],
                           hidden_size=d, num_attention_heads=heads, num_key_value_heads=kv,
                           intermediate_size=ff, num_hidden_layers=layers, vocab_size=vocab,
                           model_type="qwen2", sliding_window=131072, max_window_layers=28,
                           use_sliding_window=False)
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
        del config["head_dim"]
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f)
        j = kv_json(path)
        layer = attn(d, heads, kv, hd) + (heads * hd + 2 * kv * hd) + 2 * d + 3 * d * ff
        self.assertEqual(j["n_params"], outer(vocab, d, False) + layers * layer)
        self.assertEqual(round(j["n_params"] / B, 2), 7.62)  # Qwen2.5-7B's card
        self.assertEqual(j["architecture"], "Qwen2ForCausalLM")
        self.assertEqual([c["kind"] for c in j["layer_classes"]], ["full"])


def per_layer(kv, hd, dtype_bytes=2, scale=0):
    return kv * (2 * hd * dtype_bytes + scale)


def held(window, isl, osl, chunk):
    """Tokens a sliding or chunked layer holds at a request's peak."""
    step = min(chunk, isl) if chunk else isl
    prefill = min(isl, window - 1 + step)
    decode = min(isl + osl, window) if osl else 0
    return max(prefill, decode)


def stages(n, pp):
    """vLLM's split: n // pp each, the rest one each to the stages before the last."""
    sizes = [n // pp] * pp
    for i in range(n % pp):
        sizes[pp - 2 - i] += 1
    out, first = [], 0
    for size in sizes:
        out.append(range(first, first + size))
        first += size
    return out


class LayerClasses(Env):
    def test_dense_full_attention_is_one_class(self):
        j = kv_json("qwen3-8b")
        self.assertEqual(j["kv_bytes_per_token"], 36 * per_layer(8, 128))
        self.assertEqual(len(j["layer_classes"]), 1)
        self.assertEqual(j["layer_classes"][0]["kind"], "full")

    def test_mistral_layers_keep_their_window_of_a_32k_prompt(self):
        j = kv_json("mistral-7b", "--isl", "32768", "--osl", "1024")
        c = j["layer_classes"]
        self.assertEqual([(x["kind"], x["window"], x["layers"]) for x in c],
                         [("sliding", 4096, 32)])
        tokens = held(4096, 32768, 1024, 2048)
        self.assertEqual(tokens, 4095 + 2048)
        self.assertEqual(c[0]["tokens_held"], tokens)
        self.assertEqual(j["kv_bytes_isl"], 32 * tokens * per_layer(8, 128))
        self.assertEqual(j["kv_bytes_total"], 32 * tokens * per_layer(8, 128))
        self.assertEqual(j["kv_bytes_osl"], 0)  # decoding adds nothing to a full window
        # Every token of the sequence, as a full-attention layer would keep: 5.5 times more.
        full = 32 * (32768 + 1024) * per_layer(8, 128)
        self.assertGreater(full / j["kv_bytes_total"], 5.4)

    def test_whole_prompt_in_one_step_holds_it_all_while_it_runs(self):
        j = kv_json("mistral-7b", "--isl", "32768", "--osl", "1024", "--prefill-chunk", "0")
        self.assertEqual(j["kv_bytes_total"], 32 * 32768 * per_layer(8, 128))

    def test_a_short_request_holds_every_token_of_a_window(self):
        j = kv_json("mistral-7b", "--isl", "100", "--osl", "20")
        self.assertEqual(j["kv_bytes_total"], 32 * 120 * per_layer(8, 128))

    def test_gemma3_interleaves_five_sliding_layers_with_one_full(self):
        j = kv_json("gemma-3-1b", "--isl", "4096", "--osl", "1024")
        c = {x["kind"]: x for x in j["layer_classes"]}
        self.assertEqual((c["sliding"]["layers"], c["sliding"]["window"]), (22, 512))
        self.assertEqual(c["full"]["layers"], 4)
        one = per_layer(1, 256)  # one KV head of 256: head_dim is not hidden / heads
        self.assertEqual(c["full"]["kv_bytes_per_token_per_layer"], one)
        self.assertEqual(j["kv_bytes_total"],
                         22 * held(512, 4096, 1024, 2048) * one + 4 * 5120 * one)

    def test_gemma3_27b_reads_its_text_config(self):
        j = kv_json("gemma-3-27b", "--isl", "8192", "--osl", "0")
        c = {x["kind"]: x for x in j["layer_classes"]}
        self.assertEqual((c["sliding"]["layers"], c["full"]["layers"]), (52, 10))
        self.assertEqual(c["sliding"]["window"], 1024)
        one = per_layer(16, 128)
        self.assertEqual(j["kv_bytes_total"], 52 * held(1024, 8192, 0, 2048) * one + 10 * 8192 * one)

    def test_gpt_oss_stages_count_their_own_sliding_and_full_layers(self):
        isl, osl, pp = 16384, 1024, 4
        j = kv_json("gpt-oss-120b", "--isl", str(isl), "--osl", str(osl), "--pp", str(pp))
        one = per_layer(8, 64)
        kinds = ["sliding" if i % 2 == 0 else "full" for i in range(36)]
        cost = {"sliding": held(128, isl, osl, 2048) * one, "full": (isl + osl) * one}
        self.assertEqual(j["kv_bytes_total"], sum(cost[k] for k in kinds))
        largest = max(sum(cost[kinds[i]] for i in s) for s in stages(36, pp))
        self.assertEqual(j["kv_bytes_total_per_rank"], largest)
        c = {x["kind"]: x for x in j["layer_classes"]}
        self.assertEqual((c["sliding"]["layers_per_rank"], c["full"]["layers_per_rank"]), (5, 5))

    def test_llama4_chunks_three_layers_in_four(self):
        j = kv_json("llama-4-scout", "--isl", "32768", "--osl", "1024")
        c = {x["kind"]: x for x in j["layer_classes"]}
        self.assertEqual((c["chunked"]["layers"], c["chunked"]["window"]), (36, 8192))
        self.assertEqual(c["full"]["layers"], 12)
        one = per_layer(8, 128)
        self.assertEqual(c["chunked"]["tokens_held"], 8191 + 2048)
        self.assertEqual(j["kv_bytes_total"], 36 * (8191 + 2048) * one + 12 * 33792 * one)

    def test_jamba_mamba_layers_keep_a_fixed_state(self):
        for tp in (1, 2):
            with self.subTest(tp=tp):
                j = kv_json("jamba-v0.1", "--tp", str(tp), "--isl", "1000", "--osl", "24")
                c = {x["kind"]: x for x in j["layer_classes"]}
                state = (8192 * 3 + 8192 * 16) * 2  # conv (d_conv - 1) and SSM, bf16
                self.assertEqual(c["state"]["layers"], 28)
                self.assertEqual(c["state"]["state_bytes_per_layer"], state)
                self.assertEqual(c["state"]["state_bytes_per_layer_per_rank"], state // tp)
                self.assertEqual(c["full"]["layers"], 4)
                attention = 4 * 1024 * per_layer(8, 128)
                self.assertEqual(j["kv_bytes_total"], attention + 28 * state)
                self.assertEqual(j["kv_bytes_total_per_rank"], (attention + 28 * state) // tp)
                self.assertEqual(j["kv_bytes_per_token"], 4 * per_layer(8, 128))

    def test_state_dtype_sizes_the_state(self):
        j = kv_json("jamba-v0.1", "--state-dtype", "fp32")
        c = {x["kind"]: x for x in j["layer_classes"]}
        self.assertEqual(c["state"]["state_bytes_per_layer"], (8192 * 3 + 8192 * 16) * 4)

    def test_tp_that_does_not_divide_the_state_is_refused(self):
        p = run("kv", "--model", "jamba-v0.1", "--tp", "3", check_rc=2)
        self.assertIn("tp 3", p.stderr)

    def test_the_table_names_each_class_and_window(self):
        out = run("kv", "--model", "gpt-oss-20b", check_rc=0).stdout
        self.assertIn("Layers by what they keep", out)
        self.assertRegex(out, r"sliding +12 +12 +128")
        self.assertRegex(out, r"full +12 +12 +-")
        self.assertIn("active per token (4 of 32 experts)", out)


class QuantisedKV(Env):
    def test_fp8_keeps_an_f32_scale_per_token_and_head_for_k_and_v(self):
        j = kv_json("qwen3-8b", "--kv-dtype", "fp8")
        self.assertEqual(j["kv_scales"], "token-head")
        self.assertEqual(j["kv_bytes_per_token"], 36 * per_layer(8, 128, 1, 8))
        self.assertEqual(j["layer_classes"][0]["scale_bytes_per_token_per_layer_per_rank"], 64)

    def test_per_tensor_scales_cost_nothing_per_token(self):
        for scales in ("tensor", "head"):
            with self.subTest(scales=scales):
                j = kv_json("qwen3-8b", "--kv-dtype", "int8", "--kv-scales", scales)
                self.assertEqual(j["kv_bytes_per_token"], 36 * per_layer(8, 128, 1))

    def test_scales_of_an_unquantised_cache_are_refused(self):
        p = run("kv", "--model", "qwen3-8b", "--kv-scales", "token-head", check_rc=2)
        self.assertIn("keeps no scales", p.stderr)
        p = run("kv", "--model", "qwen3-8b", "--kv-scales", "row", check_rc=2)
        self.assertIn("--kv-scales", p.stderr)

    def test_config_kv_cache_scheme_sets_the_cache(self):
        for strategy, scales in (("tensor", "tensor"), ("attn_head", "head")):
            with self.subTest(strategy=strategy):
                scheme = {"num_bits": 8, "type": "float", "strategy": strategy,
                          "dynamic": False, "symmetric": True}
                path = self.folder("q-" + strategy, "qwen3-8b",
                                   quantization_config={"quant_method": "compressed-tensors",
                                                        "kv_cache_scheme": scheme})
                j = kv_json(path)
                self.assertEqual((j["kv_dtype"], j["kv_scales"]), ("fp8", scales))
                self.assertEqual(j["kv_dtype_source"], "config.json kv_cache_scheme")
                self.assertEqual(j["kv_bytes_per_token"], 36 * per_layer(8, 128, 1))
                j = kv_json(path, "--kv-dtype", "bf16")  # the option wins
                self.assertEqual((j["kv_dtype"], j["kv_scales"]), ("bf16", "none"))

    def test_a_kv_cache_scheme_it_cannot_size_names_the_field(self):
        scheme = {"num_bits": 4, "type": "int", "strategy": "tensor"}
        path = self.folder("q4", "mistral-7b", quantization_config={"kv_cache_scheme": scheme})
        p = run("kv", "--model", path, check_rc=1)
        self.assertIn("config.json", p.stderr)
        self.assertIn("num_bits", p.stderr)


class Memory(Env):
    def test_mixtral_weights_alone_do_not_fit_80_gb(self):
        # 46.7 B parameters x 2 bytes = 93.4 GB: no request fits, whatever the KV cache.
        p = run("kv", "--model", "mixtral-8x7b", "--memory-gb", "80", check_rc=2)
        self.assertIn("the weights alone take", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_mixtral_in_fp8_fits_requests_counted_by_the_window(self):
        total = PARAMS["mixtral-8x7b"][0]
        j = kv_json("mixtral-8x7b", "--memory-gb", "80", "--weight-dtype", "fp8",
                    "--isl", "4096", "--osl", "1024")
        budget = 80 * B - total
        request = -(-(4096 + 1024) // 16) * 16 * 32 * per_layer(8, 128)  # no window: every token
        self.assertEqual(j["memory"]["kv_budget_bytes_per_rank"], budget)
        self.assertEqual(j["memory"]["requests_fit"], budget // request)

    def test_gpt_oss_weights_are_sized_as_stored_in_mxfp4(self):
        # Experts' matrices in MXFP4 (32 values in 16 bytes + a scale byte), the rest bf16:
        # 65.2 GB, so GPT-OSS-120B fits one 80 GB rank; in bf16 it would not.
        total = PARAMS["gpt-oss-120b"][0]
        matrices = 36 * 128 * (2880 * 2 * 2880 + 2880 * 2880)
        stored = (total - matrices) * 2 + matrices // 32 * 17
        self.assertEqual(round(stored / B, 1), 65.2)
        j = kv_json("gpt-oss-120b", "--memory-gb", "80")
        self.assertEqual(j["memory"]["weight_bytes_per_rank"], stored)
        self.assertEqual(j["memory"]["weight_dtype"], "as stored")
        self.assertIn("MXFP4", j["memory"]["stored_weights"])
        p = run("kv", "--model", "gpt-oss-120b", "--memory-gb", "80", "--weight-dtype", "bf16",
                check_rc=2)
        self.assertIn("the weights alone take", p.stderr)

    def test_mistral_requests_fit_by_their_window_pages(self):
        j = kv_json("mistral-7b", "--memory-gb", "80", "--isl", "32768", "--osl", "1024")
        budget = 80 * B - PARAMS["mistral-7b"][0] * 2
        tokens = held(4096, 32768, 1024, 2048)
        pages = min(-(-(32768 + 1024) // 16), -(-tokens // 16) + 1)
        request = pages * 16 * 32 * per_layer(8, 128)
        self.assertEqual(j["kv_bytes_request_paged_per_rank"], request)
        self.assertEqual(j["memory"]["requests_fit"], budget // request)


def kvbench_qwen3(layers, kv, hd, dtype, tp, pp, page, access):
    """kvbench models/qwen3.py and gpt_oss.py (same arithmetic), in their own types."""
    precision = {"bf16": 2, "fp16": 2, "fp8": 1, "int8": 1}[dtype]
    per_token = int(layers * kv * hd * 2 * precision * 1)
    kv_size = int(per_token / layers)
    io = int(kv_size / tp)
    if access == "block":
        io = int(io * (layers / pp))
    return per_token, int(io * page)


class Kvbench(Env):
    def test_kvbench_formula_reproduces_kvbench_for_qwen3_and_gpt_oss(self):
        models = {"qwen3-8b": (36, 8, 128), "qwen3-235b-a22b": (94, 4, 128),
                  "gpt-oss-120b": (36, 8, 64), "gpt-oss-20b": (24, 8, 64)}
        for name, (layers, kv, hd) in models.items():
            for dtype in ("bf16", "fp8"):
                for tp, pp in ((1, 1), (8, 1), (4, 3), (16, 2)):
                    for access in ("block", "layer"):
                        with self.subTest(model=name, dtype=dtype, tp=tp, pp=pp, access=access):
                            j = kv_json(name, "--formula", "kvbench", "--kv-dtype", dtype,
                                        "--tp", str(tp), "--pp", str(pp), "--page-size", "16",
                                        "--access", access)
                            per_token, io = kvbench_qwen3(layers, kv, hd, dtype, tp, pp, 16,
                                                          access)
                            self.assertEqual(j["kv_bytes_per_token"], per_token)
                            self.assertEqual(j["io_bytes_per_page"], io)

    def test_kvbench_formula_is_refused_where_kvbench_has_no_model(self):
        for name, arch in (("mistral-7b", "MistralForCausalLM"),
                           ("gemma-3-1b", "Gemma3ForCausalLM"), ("jamba-v0.1", "JambaForCausalLM"),
                           ("llama-4-scout", "Llama4ForConditionalGeneration")):
            with self.subTest(model=name):
                p = run("kv", "--model", name, "--formula", "kvbench", check_rc=2)
                self.assertIn("kvbench has no model for " + arch, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
