#!/usr/bin/python3
"""tests/test_bench_kv.py — `pio-bench kv` and `pio-bench kvio`, driven as a
user drives them.  Every expected figure is computed here, by hand, from the
published hyper-parameters written in this file (not by calling pio code):
KV bytes per token for every preset and dtype, tensor- and pipeline-parallel
sharding, kvbench's formula in Python floats as kvbench computes it, request
and memory figures; then bad options and bad presets, a small verified kvio
run, and a plugin the benchmark has never heard of.

usage: test_bench_kv.py PIO_BENCH TOY_PLUGIN_DIR TOY_MODELS_DIR
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tools"))
import bench_cli  # noqa: E402

BENCH, TOY_PLUGIN_DIR, TOY_MODELS_DIR = sys.argv[1:4]
del sys.argv[1:4]

# Published hyper-parameters (Hugging Face config.json of each model).
LLAMA = {
    # name: (layers, heads, kv_heads, head_dim, hidden, intermediate, vocab, tied)
    "llama-3.2-1b": (16, 32, 8, 64, 2048, 8192, 128256, True),
    "llama-3.2-3b": (28, 24, 8, 128, 3072, 8192, 128256, True),
    "llama-3.1-8b": (32, 32, 8, 128, 4096, 14336, 128256, False),
    "llama-3.1-70b": (80, 64, 8, 128, 8192, 28672, 128256, False),
    "llama-3.1-405b": (126, 128, 8, 128, 16384, 53248, 128256, False),
}
# DeepSeek-V3 / R1: 61 layers, 128 heads, kv_lora_rank 512, qk_rope_head_dim 64.
DEEPSEEK = {"deepseek-v3": (61, 128, 512, 64), "deepseek-r1": (61, 128, 512, 64)}
DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1}
KVBENCH_BYTES = {"bf16": 2, "fp16": 2, "fp8": 1, "int8": 1}  # kvbench has no fp32


def run(*args, env=None, check_rc=None):
    return bench_cli.run(BENCH, *args, env=env, check_rc=check_rc)


def kv_json(model, *args, env=None):
    return bench_cli.kv_json(BENCH, model, *args, env=env)


# An fp8 or int8 cache keeps, by default, an f32 scale per token and KV
# head for K and one for V (one for an MLA latent, which has no V).
SCALE_BYTES = {"fp32": 0, "bf16": 0, "fp16": 0, "fp8": 4, "int8": 4}


def llama_per_token(name, dtype):
    layers, _, kv, hd = LLAMA[name][:4]
    return layers * kv * (hd * 2 * DTYPE_BYTES[dtype] + 2 * SCALE_BYTES[dtype])


def mla_per_token(name, dtype):
    layers, _, rank, rope = DEEPSEEK[name]
    return layers * ((rank + rope) * DTYPE_BYTES[dtype] + SCALE_BYTES[dtype])


class Env(unittest.TestCase):
    """Each test gets its own registry cache and a clean model path."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio_bench_kv_")
        os.environ["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")
        os.environ.pop("PIO_MODELS_PATH", None)
        os.environ.pop("PIO_PLUGIN_PATH", None)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class PresetFigures(Env):
    def test_llama_3_1_8b_bf16_is_131072_bytes_per_token(self):
        self.assertEqual(kv_json("llama-3.1-8b", "--kv-dtype", "bf16")["kv_bytes_per_token"],
                         131072)

    def test_every_preset_and_dtype_matches_hand_computation(self):
        isl, osl, page = 1000, 24, 16
        for name in [*LLAMA, *DEEPSEEK]:
            for dtype in DTYPE_BYTES:
                with self.subTest(model=name, dtype=dtype):
                    j = kv_json(name, "--kv-dtype", dtype, "--isl", str(isl), "--osl", str(osl),
                                "--page-size", str(page))
                    if name in LLAMA:
                        per_token, layers = llama_per_token(name, dtype), LLAMA[name][0]
                    else:
                        per_token, layers = mla_per_token(name, dtype), DEEPSEEK[name][0]
                    per_layer = per_token // layers
                    self.assertEqual(j["kv_bytes_per_token"], per_token)
                    self.assertEqual(j["kv_bytes_per_token_per_rank"], per_token)
                    self.assertEqual(j["layers_per_rank"], layers)
                    self.assertEqual(j["io_bytes_per_page"], per_layer * layers * page)
                    self.assertEqual(j["io_bytes_per_page_block"], per_layer * layers * page)
                    self.assertEqual(j["io_bytes_per_page_layer"], per_layer * page)
                    self.assertEqual(j["kv_bytes_isl"], per_token * isl)
                    self.assertEqual(j["kv_bytes_osl"], per_token * osl)
                    self.assertEqual(j["kv_bytes_total"], per_token * (isl + osl))
                    self.assertEqual(j["pages_per_request"], 64)  # 1024 / 16

    def test_presets_hold_the_published_hyper_parameters(self):
        models_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manifests",
                                  "models")
        for name, (layers, heads, kv, hd, hidden, inter, vocab, tied) in LLAMA.items():
            with open(os.path.join(models_dir, name + ".json")) as f:
                c = json.load(f)
            self.assertEqual((c["num_hidden_layers"], c["num_attention_heads"],
                              c["num_key_value_heads"], c["head_dim"], c["hidden_size"],
                              c["intermediate_size"], c["vocab_size"], c["tie_word_embeddings"]),
                             (layers, heads, kv, hd, hidden, inter, vocab, tied), name)
            self.assertEqual(c["rope_scaling"]["rope_type"], "llama3")
        for name, (layers, heads, rank, rope) in DEEPSEEK.items():
            with open(os.path.join(models_dir, name + ".json")) as f:
                c = json.load(f)
            self.assertEqual((c["num_hidden_layers"], c["num_attention_heads"],
                              c["kv_lora_rank"], c["qk_rope_head_dim"], c["q_lora_rank"],
                              c["n_routed_experts"], c["num_experts_per_tok"],
                              c["first_k_dense_replace"], c["rope_scaling"]["factor"]),
                             (layers, heads, rank, rope, 1536, 256, 8, 3, 40), name)

    def test_batch_multiplies_the_request(self):
        j = kv_json("llama-3.2-1b", "--isl", "100", "--osl", "28", "--batch", "7")
        self.assertEqual(j["kv_bytes_batch"], 32768 * 128 * 7)
        self.assertEqual(j["kv_bytes_batch_per_rank"], 32768 * 128 * 7)

    def test_table_prints_binary_units_with_exact_bytes(self):
        p = run("kv", "--model", "llama-3.1-8b", check_rc=0)
        self.assertIn("128.00 KiB (131072 B)", p.stdout)
        self.assertIn("IO bytes per page, access block", p.stdout)
        self.assertIn("llama3_1", p.stdout)


class Sharding(Env):
    def test_tp_splits_the_kv_heads(self):
        for tp in (1, 2, 4, 8):
            with self.subTest(tp=tp):
                j = kv_json("llama-3.1-8b", "--tp", str(tp))
                self.assertEqual(j["kv_heads_per_rank"], 8 // tp)
                self.assertEqual(j["replication"], 1)
                self.assertEqual(j["kv_bytes_per_token_per_rank"], 32 * (8 // tp) * 128 * 2 * 2)
                self.assertEqual(j["kv_bytes_per_token"], 131072)

    def test_tp_beyond_the_kv_heads_replicates_them(self):
        for name, tp in (("llama-3.1-8b", 16), ("llama-3.1-8b", 32), ("llama-3.1-70b", 64),
                         ("llama-3.1-405b", 128)):
            with self.subTest(model=name, tp=tp):
                layers, _, kv, hd = LLAMA[name][:4]
                j = kv_json(name, "--tp", str(tp))
                self.assertEqual(j["kv_heads_per_rank"], 1)
                self.assertEqual(j["replication"], tp // kv)
                self.assertEqual(j["kv_bytes_per_token_per_rank"], layers * 1 * hd * 2 * 2)
                self.assertEqual(j["io_bytes_per_page_layer"], hd * 2 * 2 * 16)

    def test_mla_latent_is_whole_on_every_rank(self):
        for tp in (1, 2, 8, 16, 128):
            with self.subTest(tp=tp):
                j = kv_json("deepseek-r1", "--tp", str(tp), "--kv-dtype", "fp8", "--kv-scales",
                            "tensor")
                self.assertEqual(j["kv_bytes_per_token_per_rank"], 61 * 576)
                self.assertEqual(j["replication"], tp)
                self.assertEqual(j["io_bytes_per_page_layer"], 576 * 16)

    def test_pp_gives_each_rank_the_largest_stage(self):
        j = kv_json("llama-3.1-8b", "--pp", "4")
        self.assertEqual(j["layers_per_rank"], 8)
        self.assertEqual(j["kv_bytes_per_token_per_rank"], 8 * 8 * 128 * 2 * 2)
        self.assertEqual(j["io_bytes_per_page_block"], 8 * 4096 * 16)
        j = kv_json("deepseek-r1", "--pp", "2", "--tp", "8")
        self.assertEqual(j["layers_per_rank"], 31)  # 61 layers: stages of 31 and 30
        self.assertEqual(j["kv_bytes_per_token_per_rank"], 31 * 576 * 2)

    def test_bad_tp_exits_2_naming_the_rule(self):
        for name, tp, words in (("llama-3.1-8b", 3, "32 attention heads"),
                                ("llama-3.1-8b", 12, "12"),
                                ("llama-3.1-70b", 24, "24"),
                                ("deepseek-r1", 3, "num_attention_heads 128")):
            with self.subTest(model=name, tp=tp):
                p = run("kv", "--model", name, "--tp", str(tp), check_rc=2)
                self.assertIn(f"tp {tp}", p.stderr)
                self.assertIn(words, p.stderr)

    def test_pp_beyond_the_layers_exits_2(self):
        p = run("kv", "--model", "llama-3.2-1b", "--pp", "17", check_rc=2)
        self.assertIn("pp", p.stderr)


def kvbench_llama(name, dtype, tp, pp, page, access):
    """kvbench models/llama3_1.py, in its own order and types."""
    layers, heads, kv, hd = LLAMA[name][:4]
    group = heads / kv
    kv_size = int(layers * (heads / group) * hd * 2 * KVBENCH_BYTES[dtype] * 1)
    kv_size_layer = int(kv_size / layers)
    io_size = int(kv_size_layer / tp)
    if access == "block":
        io_size = int(io_size * (layers / pp))
    return kv_size, int(io_size * page)


def kvbench_deepseek(name, dtype, tp, pp, page, access):
    """kvbench models/deepseek_r1.py, in its own order and types."""
    layers, _, rank, rope = DEEPSEEK[name]
    kv_size = int((rope + rank) * KVBENCH_BYTES[dtype] * layers) * 1
    kv_size_layer = int(kv_size / layers)
    io_size = kv_size_layer / tp
    if access == "block":
        io_size = io_size * math.ceil(layers / pp)
    return kv_size, int(io_size * page)


class KvbenchFormula(Env):
    def test_kvbench_formula_reproduces_kvbench(self):
        cases = [("llama-3.1-8b", 1, 1, 16), ("llama-3.1-8b", 3, 5, 7), ("llama-3.1-70b", 8, 3, 16),
                 ("llama-3.1-405b", 16, 4, 32), ("llama-3.2-1b", 5, 3, 1),
                 ("deepseek-r1", 1, 1, 16), ("deepseek-r1", 5, 1, 16), ("deepseek-v3", 8, 4, 64),
                 ("deepseek-r1", 3, 7, 3)]
        for name, tp, pp, page in cases:
            for dtype in KVBENCH_BYTES:
                for access in ("block", "layer"):
                    with self.subTest(model=name, tp=tp, pp=pp, page=page, dtype=dtype,
                                      access=access):
                        ref = kvbench_llama if name in LLAMA else kvbench_deepseek
                        kv, io = ref(name, dtype, tp, pp, page, access)
                        j = kv_json(name, "--formula", "kvbench", "--kv-dtype", dtype, "--tp",
                                    str(tp), "--pp", str(pp), "--page-size", str(page),
                                    "--access", access)
                        self.assertEqual(j["kv_bytes_per_token"], kv)
                        self.assertEqual(j["io_bytes_per_page"], io)

    def test_kvbench_formula_refuses_fp32(self):
        for name in ("llama-3.1-8b", "deepseek-r1"):
            p = run("kv", "--model", name, "--formula", "kvbench", "--kv-dtype", "fp32",
                    check_rc=2)
            self.assertIn("fp32", p.stderr)


class Memory(Env):
    def test_memory_fit_after_the_weights(self):
        layers, heads, kv, hd, d, ff, vocab, tied = LLAMA["llama-3.1-8b"]
        n_params = (vocab * d * (1 if tied else 2) + d
                    + layers * (d * heads * hd + 2 * d * kv * hd + heads * hd * d
                                + 3 * d * ff + 2 * d))
        self.assertEqual(n_params, 8030261248)
        j = kv_json("llama-3.1-8b", "--memory-gb", "80", "--tp", "2", "--isl", "4000",
                    "--osl", "96")
        m = j["memory"]
        weights = -(-n_params * 2 // 2)
        budget = 80 * 10**9 - weights
        page_bytes = 16 * 65536  # tp 2: 4 KV heads a rank, 64 KiB a token
        self.assertEqual(m["weight_bytes_per_rank"], weights)
        self.assertEqual(m["kv_budget_bytes_per_rank"], budget)
        self.assertEqual(m["tokens_fit"], budget // page_bytes * 16)
        self.assertEqual(m["requests_fit"], budget // page_bytes // 256)  # 4096 / 16 pages

    def test_weights_larger_than_memory_are_refused(self):
        # 405B at bf16 is 811 GB: nothing is left of 80 GB for any cache.
        p = run("kv", "--model", "llama-3.1-405b", "--memory-gb", "80", check_rc=2)
        self.assertEqual(p.stdout, "")
        self.assertIn("--memory-gb 80: the weights alone take", p.stderr)
        self.assertIn("leaving nothing for the KV cache", p.stderr)
        # With --json the refusal is the error document (docs/json/error.schema.json).
        p = run("kv", "--model", "llama-3.1-405b", "--memory-gb", "80", "--json", check_rc=2)
        self.assertIn("leaving nothing for the KV cache", json.loads(p.stdout)["error"]["message"])


class BadOptions(Env):
    def test_bad_options_exit_2_with_a_message(self):
        cases = [(["--page-size", "0"], "--page-size"), (["--kv-dtype", "fp4"], "fp4"),
                 (["--tp", "0"], "--tp"), (["--access", "diagonal"], "block or layer"),
                 (["--formula", "mine"], "pio or kvbench"), (["--isl", "-5"], "--isl"),
                 (["--memory-gb", "lots"], "--memory-gb"), (["--frobnicate"], "unknown option"),
                 # a number as typed, whole: no space before it (none is taken after
                 # it either), no hex, no sign but a minus
                 (["--memory-gb", " 80"], "found ' 80'"), (["--memory-gb", "0x50"], "found '0x50'"),
                 (["--memory-gb", "+80"], "found '+80'"),
                 (["--tp"], "missing value")]
        for args, words in cases:
            with self.subTest(args=args):
                p = run("kv", "--model", "llama-3.1-8b", *args, check_rc=2)
                self.assertIn(words, p.stderr)

    def test_missing_model_exits_2(self):
        self.assertIn("--model", run("kv", check_rc=2).stderr)

    def test_unknown_model_exits_2_listing_the_presets(self):
        p = run("kv", "--model", "gpt-5", check_rc=2)
        self.assertIn("unknown model", p.stderr)
        self.assertIn("llama-3.1-8b", p.stderr)

    def test_unknown_scenario_exits_2(self):
        p = subprocess.run([BENCH, "teleport"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("kvio", p.stderr)


class BadPresets(Env):
    def write_preset(self, name, text):
        d = os.path.join(self.tmp, "models")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".json"), "w") as f:
            f.write(text)
        return d, os.path.join(d, name + ".json")

    def test_broken_json_names_file_line_and_column(self):
        d, path = self.write_preset("broken", '{\n  "architectures": ["LlamaForCausalLM"],\n'
                                              '  "hidden_size": 4096,,\n}\n')
        p = run("kv", "--model", "broken", env={"PIO_MODELS_PATH": d})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(path + ":3:", p.stderr)

    def test_missing_field_names_file_and_field(self):
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manifests",
                               "models", "deepseek-r1.json")) as f:
            c = json.load(f)
        del c["kv_lora_rank"]
        d, path = self.write_preset("no-latent", json.dumps(c, indent=2))
        p = run("kv", "--model", "no-latent", env={"PIO_MODELS_PATH": d})
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(path, p.stderr)
        self.assertIn("kv_lora_rank", p.stderr)

    def test_preset_path_comes_first(self):
        c = {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
             "intermediate_size": 14336, "num_hidden_layers": 2, "num_attention_heads": 32,
             "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 8192}
        d, _ = self.write_preset("llama-3.1-8b", json.dumps(c))
        j = kv_json("llama-3.1-8b", env={"PIO_MODELS_PATH": d})
        self.assertEqual(j["kv_bytes_per_token"], 2 * 8 * 128 * 2 * 2)

    def test_hugging_face_folder_is_a_model(self):
        folder = os.path.join(self.tmp, "Llama-3.2-1B")
        os.makedirs(folder)
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manifests",
                           "models", "llama-3.2-1b.json")
        shutil.copy(src, os.path.join(folder, "config.json"))
        j = kv_json(folder)
        self.assertEqual(j["kv_bytes_per_token"], 32768)
        self.assertTrue(j["config_path"].endswith("/Llama-3.2-1B/config.json"))


class NewPlugin(Env):
    def test_a_new_plugin_figures_appear_with_no_benchmark_change(self):
        env = {"PIO_PLUGIN_PATH": TOY_PLUGIN_DIR, "PIO_MODELS_PATH": TOY_MODELS_DIR}
        j = kv_json("kv-toy", "--kv-dtype", "fp16", "--tp", "4", env=env)
        self.assertEqual(j["plugin"], "kv_toy")
        self.assertEqual(j["architecture"], "KvToyForCausalLM")
        self.assertEqual(j["kv_bytes_per_token"], 3 * 100 * 2)
        self.assertEqual(j["kv_bytes_per_token_per_rank"], 3 * 100 * 2)
        self.assertEqual(j["replication"], 4)
        self.assertEqual(j["layout"], "toy[layers][tokens][cache_width]")
        p = run("kvio", "--model", "kv-toy", "--isl", "32", "--reps", "1", "--json",
                "--dir", self.tmp, env=env, check_rc=0)
        self.assertTrue(json.loads(p.stdout)["block"]["verified"])


class Kvio(Env):
    def test_small_kvio_run_verifies_every_byte_and_cleans_up(self):
        d = os.path.join(self.tmp, "io")
        os.makedirs(d)
        p = run("kvio", "--model", "llama-3.2-1b", "--isl", "40", "--reps", "2", "--json",
                "--dir", d, check_rc=0)
        j = json.loads(p.stdout)
        per_token = llama_per_token("llama-3.2-1b", "bf16")  # 32 KiB
        self.assertEqual(j["pages"], 3)  # ceil(40 / 16)
        self.assertEqual(j["total_bytes"], 3 * 16 * per_token)
        self.assertEqual(j["block"]["io_bytes"], 16 * per_token)
        self.assertEqual(j["block"]["n_ios"], 3)
        self.assertEqual(j["layer"]["io_bytes"], 16 * per_token // 16)
        self.assertEqual(j["layer"]["n_ios"], 3 * 16)
        for access in ("block", "layer"):
            self.assertTrue(j[access]["verified"])
            self.assertGreater(j[access]["read_gb_per_s"], 0)
            self.assertGreater(j[access]["write_iops"], 0)
        self.assertGreater(j["limits"]["memcpy_gb_per_s"], 0)
        self.assertGreater(j["limits"]["seq_read_gb_per_s"], 0)
        self.assertEqual(os.listdir(d), [])

    def test_kvio_figures_never_pass_the_file_limit_of_their_rep(self):
        d = os.path.join(self.tmp, "io")
        os.makedirs(d)
        p = run("kvio", "--model", "llama-3.2-1b", "--isl", "64", "--reps", "3", "--json",
                "--queue-depth", "4", "--dir", d, check_rc=0)
        j = json.loads(p.stdout)
        lim = j["limits"]
        if j["io_engine"] == "io_uring":
            self.assertEqual(j["queue_depth"], 4)
            self.assertEqual(lim["seq_queue_depth"], 4)
        else:  # io_uring refused here (seccomp, sysctl): the note says why
            self.assertIn("io_uring unavailable", j["engine_note"])
        for access in ("block", "layer"):
            a = j[access]
            for rw in ("write", "read"):
                self.assertGreater(a[rw + "_of_limit"], 0)
                self.assertLessEqual(a[rw + "_of_limit"], 1.0)
                # a row's limit in a rep is the faster of it and the rep's
                # sequential pass: its median is no lower than either's
                self.assertGreaterEqual(a[rw + "_limit_gb_per_s"], a[rw + "_gb_per_s"] * 0.999)
                self.assertGreaterEqual(a[rw + "_limit_gb_per_s"],
                                        lim["seq_" + rw + "_gb_per_s"] * 0.999)
                # and the share is recomputed here from each rep's seconds
                mine = a[rw + "_seconds_each_rep"]
                seq = lim["seq_" + rw + "_seconds_each_rep"]
                self.assertEqual(len(mine), 3)
                shares = sorted(min(s, m) / m for s, m in zip(seq, mine))
                self.assertAlmostEqual(a[rw + "_of_limit"], shares[1], places=9)
                self.assertAlmostEqual(a[rw + "_seconds"], sorted(mine)[1], places=9)

    def test_kvio_psync_engine_is_one_io_at_a_time(self):
        p = run("kvio", "--model", "llama-3.2-1b", "--isl", "32", "--reps", "1", "--json",
                "--io-engine", "psync", "--dir", self.tmp, check_rc=0)
        j = json.loads(p.stdout)
        self.assertEqual(j["io_engine"], "psync")
        self.assertEqual(j["queue_depth"], 1)
        self.assertEqual(j["registered_buffers"], 0)
        self.assertTrue(j["block"]["verified"] and j["layer"]["verified"])

    def test_kvio_table_prints_queue_depth_and_shares_of_the_limit(self):
        p = run("kvio", "--model", "llama-3.2-1b", "--isl", "32", "--reps", "1",
                "--queue-depth", "8", "--dir", self.tmp, check_rc=0)
        self.assertRegex(p.stdout, r"engine   (io_uring, queue depth 8|psync, queue depth 1)")
        self.assertIn("of lim", p.stdout)
        rows = [l for l in p.stdout.splitlines() if l.startswith("  block ")]
        self.assertEqual(len(rows), 1, p.stdout)
        self.assertRegex(rows[0], r"\d+%")
        self.assertIn("a row's limit in a rep: the faster of that rep's sequential pass", p.stdout)

    def test_kvio_table_shows_throughput_beside_limits(self):
        p = run("kvio", "--model", "deepseek-r1", "--tp", "8", "--isl", "16", "--reps", "1",
                "--access", "layer", "--dir", self.tmp, "--buffered", check_rc=0)
        self.assertIn("Limits measured in this run", p.stdout)
        self.assertIn("memcpy", p.stdout)
        self.assertIn("direct   not used: direct IO turned off (--buffered)", p.stdout)
        layer_rows = [line for line in p.stdout.splitlines() if line.startswith("  layer ")]
        self.assertEqual(len(layer_rows), 1, p.stdout)
        self.assertTrue(layer_rows[0].endswith("yes (buffered)"), layer_rows[0])

    def test_kvio_bad_options_exit_2(self):
        for args, words in ((["--access", "both-ways"], "both"), (["--reps", "0"], "--reps"),
                            (["--isl", "0"], "--isl"), (["--queue-depth", "0"], "--queue-depth"),
                            (["--queue-depth", "5000"], "--queue-depth"),
                            (["--io-engine", "aio"], "--io-engine"),
                            # not "" + "/pio-kvio-XXXXXX": a file in the root folder
                            (["--dir", ""], "--dir: expected a folder, found ''")):
            with self.subTest(args=args):
                p = run("kvio", "--model", "llama-3.2-1b", *args, check_rc=2)
                self.assertIn(words, p.stderr)

    def test_kvio_missing_dir_fails_with_the_path(self):
        missing = os.path.join(self.tmp, "no", "such")
        p = run("kvio", "--model", "llama-3.2-1b", "--isl", "16", "--dir", missing, check_rc=1)
        self.assertIn(missing, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
