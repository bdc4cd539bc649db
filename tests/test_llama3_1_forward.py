#!/usr/bin/python3
"""tests/test_llama3_1_forward.py — the llama3_1 forward pass against the
PyTorch reference (tests/reference/llama_reference.py), end to end through
`pio-host run`: tiny random models of several shapes are written to a temp
folder, run with --dump-logits, and compared; greedy tokens must agree for
32 steps.  Also the errors a user meets: broken weights, bad configs, bad
options.

    test_llama3_1_forward.py PIO_HOST [unittest args]
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
from llama_reference import LlamaReference  # noqa: E402
from make_tiny_llama import make  # noqa: E402

PIO_HOST = None
PROMPT = [1, 7, 42, 3, 99, 250, 17, 5, 64, 128, 2, 200]
STEPS = 32
F32_TOLERANCE = 1e-4   # of max |logit|
BF16_TOLERANCE = 1e-2  # bf16 keeps 8 bits of mantissa: activations round to ~0.4%


def run(*args, env=None):
    """(exit status, stdout, stderr) of pio-host run ARGS."""
    proc = subprocess.run([PIO_HOST, "run", "--no-cache", *args], capture_output=True,
                          text=True, timeout=120, env=env)
    return proc.returncode, proc.stdout, proc.stderr


def llama_variants():
    """The names of llama3_1's variants in this build: cuda and cpu where
    the build has CUDA, none otherwise."""
    proc = subprocess.run([PIO_HOST, "info", "--no-cache", "--json", "llama3_1"],
                          capture_output=True, text=True, timeout=120, check=True)
    return [v["name"] for v in json.loads(proc.stdout)["plugin"]["variants"] or []]


class ModelCase(unittest.TestCase):
    """Helpers shared by the test classes."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pio_llama_fwd_")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def model(self, name, *options):
        return make([os.path.join(self.tmp.name, name), *options])

    def pio_logits(self, folder, prompt, *extra, env=None):
        dump = os.path.join(folder, "logits.bin")
        rc, out, err = run(folder, "--tokens", ",".join(map(str, prompt)), "--max-new-tokens",
                           str(STEPS), "--dump-logits", dump, *extra, env=env)
        self.assertEqual(rc, 0, err)
        tokens = [int(t) for t in out.strip().split(",")]
        logits = np.fromfile(dump, dtype="<f4")
        return logits, tokens

    def check_against_reference(self, folder, tolerance, prompt=PROMPT, exact_tokens=True,
                                extra=(), env=None):
        logits, tokens = self.pio_logits(folder, prompt, *extra, env=env)
        ref = LlamaReference.from_folder(folder)
        want = ref.logits(prompt)
        self.assertEqual(logits.size, want.size, "dump holds [n_prompt][vocab] floats")
        logits = logits.reshape(want.shape)
        scale = float(np.abs(want).max())
        diff = float(np.abs(logits - want).max())
        self.assertLessEqual(diff, tolerance * scale,
                             f"max |pio - reference| = {diff:g}, max |logit| = {scale:g}")
        want_tokens, rows = ref.greedy(prompt, STEPS)
        self.assertEqual(len(tokens), STEPS)
        for step, (got, expected) in enumerate(zip(tokens, want_tokens)):
            if got == expected:
                continue
            # A reduced-precision run may pick the other of two logits closer
            # than its rounding; the sequences then part, so stop here.
            gap = float(rows[step][expected] - rows[step][got])
            self.assertFalse(exact_tokens, f"step {step}: pio chose {got}, reference {expected}")
            self.assertLessEqual(gap, tolerance * scale,
                                 f"step {step}: pio chose {got}, reference {expected}, "
                                 f"logit gap {gap:g} is beyond bf16 rounding")
            break


class TestAgainstReference(ModelCase):
    def test_mha_untied_f32_matches_reference(self):
        # GQA ratio 1 (every query head has its own KV head).
        folder = self.model("mha", "--heads", "4", "--kv-heads", "4", "--seed", "1")
        self.check_against_reference(folder, F32_TOLERANCE)

    def test_gqa2_tied_llama3_rope_f32_matches_reference(self):
        folder = self.model("gqa2", "--heads", "4", "--kv-heads", "2", "--tied",
                            "--rope-scaling", "--seed", "2")
        self.check_against_reference(folder, F32_TOLERANCE)

    def test_gqa4_three_layers_llama3_rope_f32_matches_reference(self):
        folder = self.model("gqa4", "--heads", "8", "--kv-heads", "2", "--head-dim", "8",
                            "--layers", "3", "--rope-scaling", "--seed", "3")
        self.check_against_reference(folder, F32_TOLERANCE)

    def test_gqa4_tied_bf16_matches_reference_within_bf16(self):
        folder = self.model("bf16", "--heads", "4", "--kv-heads", "1", "--tied",
                            "--rope-scaling", "--dtype", "bf16", "--seed", "4")
        self.check_against_reference(folder, BF16_TOLERANCE, exact_tokens=False)

    def test_untied_bf16_without_rope_scaling_matches_reference_within_bf16(self):
        folder = self.model("bf16u", "--heads", "4", "--kv-heads", "2", "--dtype", "bf16",
                            "--seed", "5")
        self.check_against_reference(folder, BF16_TOLERANCE, exact_tokens=False)

    def test_every_kernel_path_forced_matches_reference(self):
        # bf16 weights on each matmul path: the f32-activation paths within
        # the f32 tolerance, the bf16 ones within bf16's.  A path this
        # machine lacks is refused with the reason.
        folder = self.model("kernels", "--heads", "4", "--kv-heads", "2", "--dtype", "bf16",
                            "--rope-scaling", "--seed", "21")
        for path in ["scalar", "avx2", "avx512", "avx512bf16", "amx_bf16"]:
            with self.subTest(path=path):
                rc, _, err = run(folder, "--tokens", "1,2", "--max-new-tokens", "1", "--kernel",
                                 path)
                if rc != 0:
                    self.assertEqual(rc, 1, err)
                    self.assertIn(f"kernel path {path} cannot run here: ", err)
                    continue
                self.assertIn(f"kernel {path},", err)
                bf16_path = path in ("avx512bf16", "amx_bf16")
                self.check_against_reference(folder, BF16_TOLERANCE if bf16_path
                                             else F32_TOLERANCE, exact_tokens=not bf16_path,
                                             extra=["--kernel", path])

    def test_weights_in_each_layout_match_reference(self):
        # PIO_WEIGHT_LAYOUT holds every matrix that fits (here all: multiples
        # of 32) in that layout whatever the plan, so each layout's kernels
        # run on every CPU: avx512's with f32 activations within the f32
        # tolerance, the default plan (AMX tiles or vdpbf16ps pairs where
        # they are) within bf16's.
        folder = self.model("layouts", "--heads", "4", "--kv-heads", "2", "--ffn", "192",
                            "--dtype", "bf16", "--rope-scaling", "--seed", "23")
        for layout in ["rows", "tiles", "pairs"]:
            with self.subTest(layout=layout):
                env = dict(os.environ, PIO_WEIGHT_LAYOUT=layout)
                rc, _, err = run(folder, "--tokens", "1,2", "--max-new-tokens", "1", "--kernel",
                                 "avx512", env=env)
                if rc == 0:
                    self.check_against_reference(folder, F32_TOLERANCE,
                                                 extra=["--kernel", "avx512"], env=env)
                else:
                    self.assertIn("kernel path avx512 cannot run here: ", err)
                self.check_against_reference(folder, BF16_TOLERANCE, exact_tokens=False, env=env)

    def test_unknown_weight_layout_is_refused_naming_it(self):
        folder = self.model("badlayout", "--dtype", "bf16", "--seed", "24")
        rc, out, err = run(folder, "--tokens", "1,2", "--max-new-tokens", "1",
                           env=dict(os.environ, PIO_WEIGHT_LAYOUT="pair"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertIn("PIO_WEIGHT_LAYOUT=pair in the environment: expected rows, tiles or pairs",
                      err)

    def test_f16_weights_match_reference(self):
        folder = self.model("f16", "--heads", "4", "--kv-heads", "2", "--dtype", "f16",
                            "--seed", "6")
        self.check_against_reference(folder, F32_TOLERANCE)

    def test_sharded_weights_match_reference(self):
        # Shards deal tensors out in turn, so gate and up are not adjacent
        # and the plugin stacks copies of them.
        folder = self.model("sharded", "--shards", "3", "--rope-scaling", "--seed", "7")
        self.assertTrue(os.path.exists(os.path.join(folder, "model.safetensors.index.json")))
        self.check_against_reference(folder, F32_TOLERANCE)

    def test_prompt_longer_than_a_prefill_chunk_matches_reference(self):
        folder = self.model("long", "--rope-scaling", "--seed", "8")
        prompt = [(i * 37 + 11) % 256 for i in range(150)]
        self.check_against_reference(folder, F32_TOLERANCE, prompt=prompt)

    def test_thread_count_does_not_change_logits(self):
        folder = self.model("threads", "--seed", "9")
        one, tokens_one = self.pio_logits(folder, PROMPT, "--threads", "1")
        three, tokens_three = self.pio_logits(folder, PROMPT, "--threads", "3")
        self.assertTrue(np.array_equal(one, three))
        self.assertEqual(tokens_one, tokens_three)

    def test_weights_read_into_memory_give_the_mapped_logits(self):
        # Sharded, so every shard is read.  f32 weights: their kernel plan is
        # fixed (for bf16 weights the SDK times the paths in each process,
        # and two processes may choose differently: seen under ASan).
        folder = self.model("read", "--shards", "2", "--seed", "15")
        mapped, tokens_mapped = self.pio_logits(folder, PROMPT, "--weights", "map")
        read, tokens_read = self.pio_logits(folder, PROMPT, "--weights", "read")
        self.assertTrue(np.array_equal(mapped, read))
        self.assertEqual(tokens_mapped, tokens_read)


class TestRunBehaviour(ModelCase):
    def test_max_new_tokens_zero_prints_no_tokens(self):
        folder = self.model("zero", "--seed", "10")
        rc, out, err = run(folder, "--tokens", "1,2,3", "--max-new-tokens", "0")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "")

    def test_synthetic_weights_are_deterministic_per_seed(self):
        folder = self.model("synthetic", "--seed", "11")
        outs = [run(folder, "--synthetic=5", "--dtype", "f32", "--tokens", "1,2,3")
                for _ in range(2)]
        other = run(folder, "--synthetic=6", "--dtype", "f32", "--tokens", "1,2,3")
        for rc, _, err in outs + [other]:
            self.assertEqual(rc, 0, err)
        self.assertEqual(outs[0][1], outs[1][1])
        self.assertNotEqual(outs[0][1], other[1])

    def test_preset_without_synthetic_is_bad_usage(self):
        rc, _, err = run("llama-3.2-1b", "--tokens", "1,2")
        self.assertEqual(rc, 2, err)
        self.assertIn("--synthetic", err)

    def test_unknown_model_is_bad_usage(self):
        rc, _, err = run("no-such-model-anywhere", "--tokens", "1")
        self.assertEqual(rc, 2, err)
        self.assertIn("no-such-model-anywhere", err)

    def test_empty_model_name_is_bad_usage(self):
        rc, out, err = run("", "--synthetic", "--tokens", "1")
        self.assertEqual(rc, 2, err)
        self.assertIn("MODEL is empty", err)
        self.assertEqual(out, "")

    def test_unwritable_dump_is_bad_usage_before_the_load(self):
        missing = os.path.join(tempfile.gettempdir(), "no-such-folder-pio", "logits.bin")
        for path, why in ((missing, "No such file or directory"),
                          (tempfile.gettempdir(), "Is a directory")):
            rc, out, err = run(self.model("usage5", "--seed", "23"), "--tokens", "1",
                               "--dump-logits", path)
            self.assertEqual(rc, 2, err)
            self.assertIn(f"--dump-logits {path}: {why}", err)
            self.assertEqual(out, "")

    def test_more_threads_than_the_pool_takes_is_bad_usage(self):
        rc, out, err = run(self.model("usage6", "--seed", "24"), "--tokens", "1", "--threads",
                           "1025")
        self.assertEqual(rc, 2, err)
        self.assertIn("--threads: expected a whole number from 1 to 1024, found '1025'", err)
        self.assertEqual(out, "")

    def test_missing_tokens_is_bad_usage(self):
        rc, _, err = run(self.model("usage", "--seed", "12"))
        self.assertEqual(rc, 2)
        self.assertIn("--tokens", err)

    def test_malformed_token_list_is_bad_usage(self):
        for bad in ["1,,2", "1,x", "-1", "1,2,", ""]:
            rc, _, err = run(self.model("usage2", "--seed", "13"), "--tokens", bad)
            self.assertEqual(rc, 2, f"--tokens {bad!r}: {err}")
            self.assertIn("--tokens", err)

    def test_token_outside_vocabulary_is_refused(self):
        rc, _, err = run(self.model("vocab", "--seed", "14"), "--tokens", "1,256")
        self.assertEqual(rc, 1, err)
        self.assertIn("outside the vocabulary [0, 256)", err)

    def test_unknown_weights_mode_is_bad_usage(self):
        rc, _, err = run(self.model("usage3", "--seed", "16"), "--tokens", "1", "--weights",
                         "mmap")
        self.assertEqual(rc, 2, err)
        self.assertIn("--weights: expected map or read, found 'mmap'", err)

    def test_unknown_kernel_path_is_bad_usage(self):
        rc, _, err = run(self.model("usage4", "--seed", "22"), "--tokens", "1", "--kernel",
                         "avx1024")
        self.assertEqual(rc, 2, err)
        self.assertIn("--kernel: expected auto, scalar, avx2, avx512, avx512bf16 or amx_bf16, "
                      "found 'avx1024'", err)

    def test_help_describes_every_option(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for option in ["--tokens", "--max-new-tokens", "--threads", "--dump-logits",
                       "--synthetic", "--dtype", "--weights", "--kernel", "--variant"]:
            self.assertIn(option, out)


class TestVariants(ModelCase):
    """--variant NAME: the manifest's builds by name (docs/manifest.md)."""

    def test_unknown_variant_is_refused_naming_those_there_are(self):
        rc, _, err = run(self.model("variant1", "--seed", "31"), "--tokens", "1", "--variant",
                         "nosuch")
        self.assertEqual(rc, 1, err)
        names = llama_variants()
        if names:
            self.assertIn(f"plugin llama3_1 has no variant 'nosuch' (it has "
                          f"{', '.join(names)})", err)
        else:
            self.assertIn("plugin llama3_1 has no variants (its manifest lists none), so no "
                          "variant 'nosuch'", err)

    def test_cpu_variant_forced_gives_the_default_tokens(self):
        if "cpu" not in llama_variants():
            self.skipTest("this build's llama3_1 lists no variants (no CUDA)")
        folder = self.model("variant2", "--seed", "32")
        env = dict(os.environ, PIO_CUDA_DRIVER=os.path.join(self.tmp.name, "no-libcuda.so.1"))
        rc, default, err = run(folder, "--tokens", "1,2,3", "--max-new-tokens", "8", env=env)
        self.assertEqual(rc, 0, err)
        self.assertIn("plugin llama3_1 (variant cpu), kernel ", err)
        rc, forced, err = run(folder, "--tokens", "1,2,3", "--max-new-tokens", "8", "--variant",
                              "cpu", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(forced, default)
        rc, out, err = run(folder, "--tokens", "1", "--variant", "cpu", "--json", env=env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["variant"], "cpu")

    def test_cuda_variant_without_a_device_is_refused_unloaded(self):
        if "cuda" not in llama_variants():
            self.skipTest("this build's llama3_1 has no CUDA variant")
        env = dict(os.environ, PIO_CUDA_DRIVER=os.path.join(self.tmp.name, "no-libcuda.so.1"))
        rc, _, err = run(self.model("variant3", "--seed", "33"), "--tokens", "1", "--variant",
                         "cuda", env=env)
        self.assertEqual(rc, 1, err)
        self.assertIn("plugin llama3_1: variant cuda cannot run here: needs a CUDA device: no "
                      "CUDA driver (", err)


class TestWeightErrors(ModelCase):
    def expect_failure(self, folder, *fragments):
        rc, out, err = run(folder, "--tokens", "1,2")
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        for fragment in fragments:
            self.assertIn(fragment, err)

    def test_missing_tensor_is_named(self):
        folder = self.model("drop", "--drop", "model.layers.1.mlp.up_proj.weight")
        self.expect_failure(folder, "model.layers.1.mlp.up_proj.weight", "missing")

    def test_wrong_shape_names_tensor_and_shapes(self):
        folder = self.model("shape", "--reshape", "model.layers.0.self_attn.k_proj.weight")
        self.expect_failure(folder, "model.layers.0.self_attn.k_proj.weight", "[33, 64]",
                            "expected [32, 64]")

    def test_untied_model_without_lm_head_is_refused(self):
        folder = self.model("nohead", "--drop", "lm_head.weight")
        self.expect_failure(folder, "lm_head.weight", "missing")

    def test_extra_tensor_is_refused_by_name(self):
        folder = self.model("extra", "--extra", "model.layers.0.self_attn.q_proj.bias")
        self.expect_failure(folder, "model.layers.0.self_attn.q_proj.bias", "does not use")

    def test_tied_model_with_misshapen_lm_head_is_refused(self):
        folder = self.model("tiedhead", "--tied", "--extra", "lm_head.weight")
        self.expect_failure(folder, "lm_head.weight", "[2, 2]", "expected [256, 64]")

    def test_rotary_inv_freq_buffer_is_ignored(self):
        folder = self.model("invfreq", "--extra", "model.layers.0.self_attn.rotary_emb.inv_freq")
        rc, _, err = run(folder, "--tokens", "1,2", "--max-new-tokens", "1")
        self.assertEqual(rc, 0, err)

    def test_missing_weights_file_is_reported(self):
        folder = self.model("nofile")
        os.unlink(os.path.join(folder, "model.safetensors"))
        rc, _, err = run(folder, "--tokens", "1")
        self.assertEqual(rc, 1, err)
        self.assertIn(folder, err)

    def test_bad_config_names_file_and_field(self):
        folder = self.model("badcfg")
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace('"num_key_value_heads": 2', '"num_key_value_heads": 3'))
        rc, _, err = run(folder, "--tokens", "1")
        self.assertEqual(rc, 1, err)
        self.assertIn("config.json", err)
        self.assertIn("num_key_value_heads", err)


if __name__ == "__main__":
    PIO_HOST = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
