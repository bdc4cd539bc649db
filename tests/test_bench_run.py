#!/usr/bin/python3
"""tests/test_bench_run.py — `pio-bench run` end to end on a tiny synthetic
Llama: every figure is in the JSON, limits are positive, each percentage and
limit agrees with the figures it is made of, and bad requests exit 2 with a
message that says why.  No timing thresholds: only the arithmetic between
figures measured in the same run is checked.

usage: test_bench_run.py PIO_BENCH CONFIG_ONLY_PLUGIN_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest

PIO_BENCH = None
CONFIG_ONLY = None

TINY = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "head_dim": 16,
    "hidden_act": "silu",
    "hidden_size": 64,
    "intermediate_size": 96,
    "max_position_embeddings": 64,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "factor": 32.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 16,
        "rope_type": "llama3",
    },
    "rope_theta": 500000.0,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "vocab_size": 256,
}

# The limits' read buffer defaults to the bytes a token reads (a tiny model's
# weights sit in a cache, and so does that buffer): small and fast.
FAST = ["--no-progress"]


class BenchRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pio-bench-run-")
        cls.models = os.path.join(cls.tmp, "models")
        os.mkdir(cls.models)
        with open(os.path.join(cls.models, "tiny-bench-llama.json"), "w") as f:
            json.dump(TINY, f)
        fixture_arch = {"architectures": ["FixtureConfigOnlyForCausalLM"], "vocab_size": 16}
        with open(os.path.join(cls.models, "tiny-bench-nomodel.json"), "w") as f:
            json.dump(fixture_arch, f)
        # The fixture plugin with a config and no model component.
        cls.plugins = os.path.dirname(CONFIG_ONLY)
        cls.env = dict(os.environ, PIO_MODELS_PATH=cls.models,
                       XDG_CACHE_HOME=os.path.join(cls.tmp, "cache"))
        cls.run_json = None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def bench(self, *args):
        return subprocess.run([PIO_BENCH, "run", *args], env=self.env, capture_output=True,
                              text=True, timeout=300)

    def tiny_run(self):
        """The JSON of one good run, shared by the tests that read figures."""
        if BenchRun.run_json is None:
            p = self.bench("--model", "tiny-bench-llama", "--synthetic=7", "--prompt-tokens", "5",
                           "--gen-tokens", "4", "--threads", "2", "--repeat", "3", "--json",
                           *FAST)
            self.assertEqual(p.returncode, 0, p.stderr)
            BenchRun.run_json = json.loads(p.stdout)
        return BenchRun.run_json

    def assertClose(self, got, expected, what):
        self.assertTrue(abs(got - expected) <= 1e-9 * max(abs(expected), 1e-300),
                        f"{what}: got {got}, expected {expected}")

    # ---- figures -----------------------------------------------------------

    def test_json_has_every_figure(self):
        j = self.tiny_run()
        for key in ["load_seconds", "time_to_first_token_seconds", "prefill_tokens_per_second",
                    "prefill_limit_tokens_per_second", "prefill_percent_of_limit",
                    "prefill_peak", "prefill_peak_flops_per_second",
                    "decode_tokens_per_second", "decode_limit_tokens_per_second",
                    "decode_percent_of_limit", "weight_bytes_per_token",
                    "effective_bytes_per_second", "effective_percent_of_bandwidth",
                    "peak_rss_bytes", "limits", "repetitions", "threads", "model"]:
            self.assertIn(key, j)
            self.assertIsNotNone(j[key], key)
        self.assertEqual(j["scenario"], "run")
        self.assertEqual(j["prompt_tokens"], 5)
        self.assertEqual(j["gen_tokens"], 4)
        self.assertEqual(j["repeat"], 3)
        self.assertEqual(j["threads"], 2)
        self.assertEqual(j["model"]["weights"], "synthetic")
        self.assertEqual(j["model"]["seed"], 7)
        self.assertEqual(j["model"]["weight_dtype"], "bf16")
        self.assertEqual(j["model"]["architecture"], "LlamaForCausalLM")
        self.assertTrue(j["model"]["kernel"])
        # The manifest variant that ran: llama3_1 lists cuda and cpu where
        # the build has CUDA, none (null) otherwise.
        self.assertIn(j["model"]["variant"], ("cpu", "cuda", None))

    def test_figures_and_limits_are_positive(self):
        j = self.tiny_run()
        for key in ["load_seconds", "time_to_first_token_seconds", "prefill_tokens_per_second",
                    "prefill_limit_tokens_per_second", "decode_tokens_per_second",
                    "decode_limit_tokens_per_second", "weight_bytes_per_token",
                    "effective_bytes_per_second", "peak_rss_bytes"]:
            self.assertGreater(j[key], 0, key)
        lim = j["limits"]
        self.assertGreater(lim["memory_read_bytes_per_second"], 0)
        self.assertGreater(lim["f32_fma_flops_per_second"], 0)
        self.assertEqual(lim["threads"], 2)
        wpt = j["weight_bytes_per_token"]
        self.assertEqual(lim["memory_read_buffer_bytes"], max(wpt // 4096 * 4096, 64 << 10))
        # The stream count the read loop's calibration chose.
        self.assertIn(lim["memory_read_streams"], [2, 4, 6, 8])
        # ... and whether it prefetches ahead (vector loops only).
        self.assertIn(lim["memory_read_prefetch_bytes"], [0, 4096])
        if lim["memory_read_isa"] == "scalar":
            self.assertEqual(lim["memory_read_prefetch_bytes"], 0)
        bf16 = lim["bf16_dot_flops_per_second"]
        self.assertTrue(bf16 is None or bf16 > 0)

    def test_decode_limit_is_bandwidth_over_bytes_per_token(self):
        j = self.tiny_run()
        bw = j["limits"]["memory_read_bytes_per_second"]
        self.assertClose(j["decode_limit_tokens_per_second"], bw / j["weight_bytes_per_token"],
                         "decode limit")
        self.assertClose(j["decode_percent_of_limit"],
                         100 * j["decode_tokens_per_second"] / j["decode_limit_tokens_per_second"],
                         "decode percent")
        self.assertClose(j["effective_bytes_per_second"],
                         j["decode_tokens_per_second"] * j["weight_bytes_per_token"],
                         "effective bandwidth")
        self.assertClose(j["effective_percent_of_bandwidth"],
                         100 * j["effective_bytes_per_second"] / bw, "effective percent")

    def test_prefill_limit_is_the_kernels_peak_over_the_prefills_flops(self):
        j = self.tiny_run()
        lim = j["limits"]
        m = j["model"]
        self.assertEqual(m["matmul_dtypes"], ["bf16"])
        self.assertTrue(m["kernel_prefill"] and m["kernel_decode"])
        # The peak of the instruction the prefill path multiplies bf16 with.
        expected = {"scalar": "sse2_mul_add", "avx2": "avx2_fma", "avx512": "avx512_fma",
                    "avx512bf16": "bf16_dot", "amx_bf16": "amx_bf16"}[m["kernel_prefill"]]
        self.assertEqual(j["prefill_peak"], expected)
        peak = lim["peaks"][expected]["flops_per_second"]
        self.assertGreater(lim["peaks"][expected]["accumulators"], 0)
        self.assertClose(j["prefill_peak_flops_per_second"], peak, "prefill peak")
        # The output head runs for the last prompt token only.
        p, fpt = j["prompt_tokens"], m["flops_per_token"]
        head = 2 * TINY["hidden_size"] * TINY["vocab_size"]
        self.assertClose(j["prefill_flops"], p * (fpt - head) + head, "prefill FLOP")
        self.assertClose(j["prefill_limit_tokens_per_second"], p * peak / j["prefill_flops"],
                         "prefill limit")
        self.assertClose(j["prefill_percent_of_limit"],
                         100 * j["prefill_tokens_per_second"]
                         / j["prefill_limit_tokens_per_second"], "prefill percent")
        self.assertLessEqual(j["prefill_percent_of_limit"], 100)
        self.assertLessEqual(j["decode_percent_of_limit"], 100)

    def test_figures_are_medians_of_the_repetitions(self):
        j = self.tiny_run()
        reps = j["repetitions"]
        for key in ["prefill_seconds", "decode_seconds", "time_to_first_token_seconds"]:
            self.assertEqual(len(reps[key]), 3, key)
            self.assertTrue(all(v > 0 for v in reps[key]), key)
        self.assertClose(j["prefill_tokens_per_second"],
                         statistics.median(5 / s for s in reps["prefill_seconds"]), "prefill")
        self.assertClose(j["decode_tokens_per_second"],
                         statistics.median(4 / s for s in reps["decode_seconds"]), "decode")
        self.assertClose(j["time_to_first_token_seconds"],
                         statistics.median(reps["time_to_first_token_seconds"]), "ttft")
        for t, p in zip(reps["time_to_first_token_seconds"], reps["prefill_seconds"]):
            self.assertGreaterEqual(t, p)

    def test_paired_decode_is_each_token_beside_the_read_passes_around_it(self):
        j = self.tiny_run()
        p = j["paired_decode"]
        n, wpt = j["gen_tokens"], j["weight_bytes_per_token"]
        ts, rb = p["token_seconds"], p["read_bytes_per_second"]
        self.assertEqual((p["tokens"], len(ts), len(rb)), (n, n, n + 1))
        self.assertTrue(all(v > 0 for v in ts + rb))
        self.assertClose(p["tokens_per_second"], statistics.median(1 / t for t in ts),
                         "paired decode rate")
        self.assertClose(p["read_median_bytes_per_second"], statistics.median(rb),
                         "paired read median")
        # Each token over the faster of the passes just before and after it.
        self.assertClose(p["percent_of_read_beside"],
                         statistics.median(100 * wpt / t / max(rb[i], rb[i + 1])
                                           for i, t in enumerate(ts)), "paired percent")
        self.assertLessEqual(p["percent_of_read_beside"], 100)

    def test_table_shows_the_paired_decode(self):
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens", "3",
                       "--gen-tokens", "2", "--repeat", "1", *FAST)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"decode, read beside tokens +[0-9.]+ tok/s +read passes "
                                   r"between its tokens \(median [0-9.]+ GB/s\) +[0-9.]+ %")

    def test_bytes_per_token_fit_inside_the_weights(self):
        j = self.tiny_run()
        m = j["model"]
        self.assertGreater(m["weight_bytes"], 0)
        # Every weight at most once, plus the one embedding row a token looks
        # up when the LM head shares the embedding matrix.
        self.assertLessEqual(j["weight_bytes_per_token"],
                             m["weight_bytes"] + 4 * TINY["hidden_size"])
        self.assertGreater(m["flops_per_token"], 0)
        self.assertGreater(m["n_params"], 0)
        self.assertLess(j["first_token"], TINY["vocab_size"])

    def test_weights_from_files_mapped_or_read_say_so(self):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
        from make_tiny_llama import make
        folder = os.path.join(self.tmp, "tiny-files")
        make([folder, "--dtype", "bf16", "--seed", "3"])
        for mode in ("map", "read"):
            p = self.bench("--model", folder, "--weights", mode, "--prompt-tokens", "4",
                           "--gen-tokens", "2", "--repeat", "1", "--json", *FAST)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = json.loads(p.stdout)
            self.assertEqual(got["model"]["weights"], "files")
            self.assertEqual(got["model"]["weights_load"], mode)
            table = self.bench("--model", folder, "--weights", mode, "--prompt-tokens", "4",
                               "--gen-tokens", "2", "--repeat", "1", *FAST)
            self.assertEqual(table.returncode, 0, table.stderr)
            self.assertIn("read into memory" if mode == "read" else "mapped", table.stdout)

    def test_json_out_writes_json_beside_the_table(self):
        out = os.path.join(self.tmp, "run.json")
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--dtype", "f32",
                       "--prompt-tokens", "3", "--gen-tokens", "2", "--repeat", "1",
                       "--threads", "1", "--json-out", out, *FAST)
        self.assertEqual(p.returncode, 0, p.stderr)
        for word in ["prefill", "decode", "time to first token", "peak RSS",
                     "weight bytes per token", "read bandwidth", "compared with the"]:
            self.assertIn(word, p.stdout)
        with open(out) as f:
            j = json.load(f)
        self.assertEqual(j["model"]["weight_dtype"], "fp32")
        self.assertEqual(j["model"]["seed"], 0)
        self.assertEqual(j["threads"], 1)
        # f32 weights are never bounded by a bf16 instruction.
        self.assertEqual(j["model"]["matmul_dtypes"], ["fp32"])
        self.assertIn(j["prefill_peak"], ["sse2_mul_add", "avx2_fma", "avx512_fma"])

    def test_forced_kernel_path_is_the_one_that_ran_and_bounds_the_prefill(self):
        for path, peak in [("scalar", "sse2_mul_add"), ("avx2", "avx2_fma")]:
            with self.subTest(path=path):
                p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens",
                               "3", "--gen-tokens", "2", "--repeat", "1", "--kernel", path,
                               "--json", *FAST)
                if p.returncode == 1 and "cannot run here" in p.stderr:
                    continue  # a CPU without AVX2
                self.assertEqual(p.returncode, 0, p.stderr)
                j = json.loads(p.stdout)
                m = j["model"]
                self.assertEqual(m["kernel_requested"], path)
                self.assertEqual((m["kernel"], m["kernel_prefill"], m["kernel_decode"]),
                                 (path, path, path))
                self.assertIn("asked for", m["kernel_why"])
                self.assertEqual(j["prefill_peak"], peak)

    def test_table_says_which_path_ran_and_why(self):
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens", "3",
                       "--gen-tokens", "2", "--repeat", "1", *FAST)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"kernel: prefill \S+, decode \S+;")
        self.assertRegex(p.stdout, r"\nwhy: \S")

    def test_kernel_path_this_machine_lacks_is_refused_with_the_reason(self):
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens", "3",
                       "--gen-tokens", "2", "--repeat", "1", "--kernel", "amx_bf16", *FAST)
        if p.returncode == 0:
            self.skipTest("this machine runs amx_bf16")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("kernel path amx_bf16 cannot run here: ", p.stderr)

    # ---- bad requests --------------------------------------------------------

    def test_unknown_kernel_path_is_a_usage_error(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--synthetic", "--kernel", "avx1024"],
                         "--kernel: expected auto, scalar, avx2, avx512, avx512bf16 or amx_bf16, "
                         "found 'avx1024'")


    def assertUsage(self, args, message):
        p = self.bench(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(message, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_unknown_variant_is_a_usage_error(self):
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--variant", "nosuch", *FAST)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertRegex(p.stderr, r"plugin llama3_1 has no variant(s \(its manifest lists none\), "
                                   r"so no variant 'nosuch'| 'nosuch' \(it has )")
        self.assertEqual(p.stdout, "")

    def test_unwritable_outputs_are_refused_before_measuring(self):
        missing = os.path.join(self.tmp, "no-such-folder", "out")
        for option, path, why in (("--json-out", missing, "No such file or directory"),
                                  ("--plot", self.tmp, "Is a directory"),
                                  ("--json-out", "", "No such file or directory")):
            with self.subTest(option=option, path=path):
                self.assertUsage(["--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens",
                                  "3", "--gen-tokens", "2", "--repeat", "1", option, path, *FAST],
                                 f"{option} {path}: {why}")
        self.assertFalse(os.path.exists(os.path.dirname(missing)))

    def test_missing_model_is_a_usage_error(self):
        self.assertUsage(["--synthetic"], "--model NAME is required")

    def test_zero_prompt_tokens_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens", "0"],
                         "--prompt-tokens: expected a whole number from 1 to 1048576, found '0'")

    def test_non_numeric_threads_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--threads", "two"],
                         "--threads: expected a whole number from 1 to 1024, found 'two'")

    def test_negative_repeat_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--repeat", "-3"],
                         "--repeat: expected a whole number from 1 to 1000, found '-3'")

    def test_unknown_dtype_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--synthetic", "--dtype", "int8"],
                         "--dtype: expected bf16, f16 or f32 for weights, found 'int8'")

    def test_unknown_weights_mode_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--weights", "mmap"],
                         "--weights: expected map or read, found 'mmap'")

    def test_bad_seed_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--synthetic=abc"],
                         "--synthetic: expected a whole number from 0 to")

    def test_unknown_option_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--frobnicate"],
                         "unknown option '--frobnicate'")

    def test_option_without_value_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "--gen-tokens"],
                         "missing value for '--gen-tokens'")

    def test_stray_argument_is_refused(self):
        self.assertUsage(["--model", "tiny-bench-llama", "extra"], "unexpected argument 'extra'")

    def test_unknown_model_lists_the_presets(self):
        p = self.bench("--model", "no-such-model-xyz", "--synthetic", *FAST)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("no-such-model-xyz", p.stderr)
        self.assertIn("tiny-bench-llama", p.stderr)

    def test_preset_without_synthetic_is_refused(self):
        p = self.bench("--model", "tiny-bench-llama", *FAST)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("add --synthetic", p.stderr)

    def test_more_tokens_than_the_context_is_refused(self):
        p = self.bench("--model", "tiny-bench-llama", "--synthetic", "--prompt-tokens", "60",
                       "--gen-tokens", "10", *FAST)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("more than the model's context of 64", p.stderr)

    def test_plugin_without_a_model_component_is_a_clear_error(self):
        p = self.bench("--model", "tiny-bench-nomodel", "--synthetic", "--plugin-path",
                       self.plugins, *FAST)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("has no model component", p.stderr)
        self.assertIn("fixture-config-only", p.stderr)

    def test_help_exits_zero_with_usage(self):
        p = self.bench("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: pio-bench run --model NAME", p.stdout)
        self.assertIn("--variant NAME", p.stdout)


if __name__ == "__main__":
    PIO_BENCH = os.path.abspath(sys.argv[1])
    CONFIG_ONLY = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
