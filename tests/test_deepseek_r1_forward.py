#!/usr/bin/python3
"""tests/test_deepseek_r1_forward.py — the deepseek_r1 forward pass (MLA in
absorbed form, MoE, YaRN) against the naive PyTorch reference
(tests/reference/deepseek_reference.py: keys and values decompressed per
head), end to end through `pio-host run`: tiny random DeepseekV3 models of
many shapes are written to a temp folder, run with --dump-logits, and
compared within 1e-4 of max |logit| in f32; greedy decode through the MLA
cache must give the reference's tokens, which recompute the whole grown
prompt every step.  Also the weight and config errors a user meets.

    test_deepseek_r1_forward.py PIO_HOST [unittest args]
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
from deepseek_reference import DeepseekReference  # noqa: E402
from make_tiny_deepseek import make  # noqa: E402

PIO_HOST = None
PROMPT = [1, 7, 42, 3, 99, 250, 17, 5, 64, 128, 2, 200]
STEPS = 12
F32_TOLERANCE = 1e-4   # of max |logit|
BF16_TOLERANCE = 2e-2  # bf16 weights and activations: ~0.4% a rounding, over a few layers


def pio_run(*args):
    """(exit status, stdout, stderr) of pio-host run ARGS."""
    proc = subprocess.run([PIO_HOST, "run", "--no-cache", *args], capture_output=True, text=True,
                          timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class DeepseekCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="pio_deepseek_fwd_")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def model(self, name, *options):
        return make([os.path.join(self.tmp.name, name), *options])

    def logits_and_tokens(self, folder, prompt, steps=STEPS, *extra):
        dump = os.path.join(folder, "logits.bin")
        rc, out, err = pio_run(folder, "--tokens", ",".join(map(str, prompt)),
                               "--max-new-tokens", str(steps), "--dump-logits", dump, *extra)
        self.assertEqual(rc, 0, err)
        return np.fromfile(dump, dtype="<f4"), [int(t) for t in out.split(",") if t.strip()]

    def check(self, folder, tolerance=F32_TOLERANCE, prompt=PROMPT, steps=STEPS, exact=True):
        logits, tokens = self.logits_and_tokens(folder, prompt, steps)
        ref = DeepseekReference.from_folder(folder)
        want = ref.logits(prompt)
        self.assertEqual(logits.size, want.size, "the dump holds [prompt][vocab] floats")
        logits = logits.reshape(want.shape)
        scale = float(np.abs(want).max())
        diff = float(np.abs(logits - want).max())
        self.assertLessEqual(diff, tolerance * scale,
                             f"max |pio - reference| = {diff:g}, max |logit| = {scale:g}")
        want_tokens, rows = ref.greedy(prompt, steps)
        self.assertEqual(len(tokens), steps)
        for step, (got, expected) in enumerate(zip(tokens, want_tokens)):
            if got != expected:
                # Only a reduced-precision run may take the other of two
                # logits closer than its rounding; then the runs part.
                gap = float(rows[step][expected] - rows[step][got])
                self.assertFalse(exact, f"step {step}: pio chose {got}, reference {expected}")
                self.assertLessEqual(gap, tolerance * scale, f"step {step}: logit gap {gap:g}")
                break
        return tokens


class TestAgainstReference(DeepseekCase):
    def test_q_lora_yarn_grouped_noaux_shared_dense_first(self):
        # DeepSeek-V3 in small: q LoRA, YaRN, sigmoid + bias, 4 groups of
        # 2 ranked by their best two, one shared expert, layer 0 dense.
        self.check(self.model("v3", "--q-lora", "24", "--yarn", "--seed", "1"))

    def test_no_q_lora_no_yarn_tied(self):
        self.check(self.model("plain", "--tied", "--seed", "2"))

    def test_v2_group_limited_greedy_softmax_with_yarn(self):
        self.check(self.model("v2", "--method", "group_limited_greedy", "--scoring", "softmax",
                              "--groups", "2", "--topk-groups", "1", "--yarn", "--seed", "3"))

    def test_v2_lite_routing_greedy_softmax_unnormalised_and_scaled(self):
        self.check(self.model("lite", "--method", "greedy", "--scoring", "softmax",
                              "--no-norm-topk", "--scale", "16", "--shared", "2", "--seed", "4"))

    def test_half_split_rope_and_attention_biases(self):
        self.check(self.model("bias", "--no-interleave", "--bias", "--q-lora", "24", "--seed", "5"))

    def test_every_layer_moe_without_shared_experts(self):
        self.check(self.model("allmoe", "--dense", "0", "--shared", "0", "--layers", "2",
                              "--seed", "6"))

    def test_dense_model_without_experts(self):
        self.check(self.model("dense", "--experts", "0", "--q-lora", "16", "--seed", "7"))

    def test_more_heads_wider_latent_and_no_position_free_part(self):
        # heads 8, a latent of 48 and rope 16; then qk_nope_head_dim 0.
        self.check(self.model("wide", "--heads", "8", "--kv-lora", "48", "--rope", "16",
                              "--v-head", "8", "--seed", "8"))
        self.check(self.model("nonope", "--nope", "0", "--seed", "9"))

    def test_f16_weights(self):
        self.check(self.model("f16", "--dtype", "f16", "--yarn", "--seed", "10"))

    def test_bf16_weights_within_bf16(self):
        self.check(self.model("bf16", "--dtype", "bf16", "--q-lora", "24", "--seed", "11"),
                   BF16_TOLERANCE, exact=False)

    def test_sharded_weights(self):
        folder = self.model("sharded", "--shards", "3", "--seed", "12")
        self.assertTrue(os.path.exists(os.path.join(folder, "model.safetensors.index.json")))
        self.check(folder)

    def test_prompt_longer_than_a_prefill_chunk(self):
        folder = self.model("long", "--yarn", "--seed", "13")
        self.check(folder, prompt=[(i * 37 + 11) % 256 for i in range(150)], steps=3)


class TestCacheAndThreads(DeepseekCase):
    def test_decode_through_the_cache_equals_rerunning_the_grown_prompt(self):
        folder = self.model("grown", "--q-lora", "24", "--yarn", "--seed", "20")
        _, tokens = self.logits_and_tokens(folder, PROMPT, 8)
        # Each decoded token again, from the prompt grown by those before it
        # run as one prefill in a fresh process: the same token.
        for step in (1, 4, 7):
            _, again = self.logits_and_tokens(folder, PROMPT + tokens[:step], 1)
            self.assertEqual(again, [tokens[step]], f"step {step}")
        _, decoded = self.logits_and_tokens(folder, PROMPT, 8)
        self.assertEqual(decoded, tokens)

    def test_thread_count_does_not_change_logits(self):
        folder = self.model("threads", "--seed", "21")
        one, tokens_one = self.logits_and_tokens(folder, PROMPT, STEPS, "--threads", "1")
        three, tokens_three = self.logits_and_tokens(folder, PROMPT, STEPS, "--threads", "3")
        self.assertTrue(np.array_equal(one, three))
        self.assertEqual(tokens_one, tokens_three)

    def test_weights_read_into_memory_give_the_mapped_logits(self):
        # f32 weights: their kernel plan is fixed (for bf16 weights the SDK
        # times the paths in each process, and two processes may differ).
        folder = self.model("read", "--shards", "2", "--seed", "22")
        mapped, t_mapped = self.logits_and_tokens(folder, PROMPT, STEPS, "--weights", "map")
        read, t_read = self.logits_and_tokens(folder, PROMPT, STEPS, "--weights", "read")
        self.assertTrue(np.array_equal(mapped, read))
        self.assertEqual(t_mapped, t_read)

    def test_synthetic_weights_are_deterministic_per_seed(self):
        folder = self.model("synthetic", "--seed", "23")
        outs = [pio_run(folder, "--synthetic=5", "--dtype", "f32", "--tokens", "1,2,3")
                for _ in range(2)]
        other = pio_run(folder, "--synthetic=6", "--dtype", "f32", "--tokens", "1,2,3")
        for rc, _, err in outs + [other]:
            self.assertEqual(rc, 0, err)
        self.assertEqual(outs[0][1], outs[1][1])
        self.assertNotEqual(outs[0][1], other[1])

    def test_info_lists_the_model_component(self):
        proc = subprocess.run([PIO_HOST, "info", "--no-cache", "deepseek_r1"], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        components = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()
                      if line.startswith("  ") and len(line.split()) == 2}
        for name in ("config", "model", "attention", "kv_cache", "mlp", "rotary"):
            self.assertEqual(components.get(name), "present", proc.stdout)


class TestWeightAndConfigErrors(DeepseekCase):
    def expect_failure(self, folder, *fragments):
        rc, out, err = pio_run(folder, "--tokens", "1,2")
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        for fragment in fragments:
            self.assertIn(fragment, err)

    def test_missing_expert_tensor_is_named_with_the_folder(self):
        name = "model.layers.2.mlp.experts.5.up_proj.weight"
        folder = self.model("drop", "--drop", name)
        self.expect_failure(folder, name, "missing", folder)

    def test_missing_score_correction_bias_is_named(self):
        name = "model.layers.1.mlp.gate.e_score_correction_bias"
        self.expect_failure(self.model("nobias", "--drop", name), name, "missing")

    def test_misshapen_kv_b_proj_names_tensor_file_and_shapes(self):
        name = "model.layers.0.self_attn.kv_b_proj.weight"
        folder = self.model("shape", "--reshape", name)
        self.expect_failure(folder, name, "model.safetensors", "[129, 32]", "expected [128, 32]")

    def test_extra_tensor_is_refused_by_name(self):
        name = "model.layers.0.self_attn.q_proj.bias"
        self.expect_failure(self.model("extra", "--extra", name), name, "does not use")

    def test_q_lora_tensors_without_q_lora_rank_are_refused(self):
        folder = self.model("qlora", "--q-lora", "24", "--seed", "30")
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        cfg["q_lora_rank"] = None
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.expect_failure(folder, "self_attn.q_proj.weight", "missing")

    def test_multi_token_prediction_layer_is_let_pass(self):
        folder = self.model("mtp", "--extra", "model.layers.3.eh_proj.weight", "--seed", "31")
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        cfg["num_nextn_predict_layers"] = 1
        with open(path, "w") as f:
            json.dump(cfg, f)
        rc, _, err = pio_run(folder, "--tokens", "1,2", "--max-new-tokens", "1")
        self.assertEqual(rc, 0, err)

    def rewrite_config(self, name, **changes):
        folder = self.model(name, "--seed", "32")
        path = os.path.join(folder, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        cfg.update(changes)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return folder, path

    def test_config_errors_name_file_line_and_field_before_weights_are_read(self):
        for field, value, fragment in [("num_experts_per_tok", 9, "num_experts_per_tok"),
                                       ("n_group", 3, "divisor"),
                                       ("topk_group", 5, "at most n_group"),
                                       ("qk_rope_head_dim", 7, "even"),
                                       ("kv_lora_rank", 0, "kv_lora_rank")]:
            folder, path = self.rewrite_config("cfg_" + field, **{field: value})
            os.unlink(os.path.join(folder, "model.safetensors"))  # never reached
            rc, out, err = pio_run(folder, "--tokens", "1")
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, rf"{path}:\d+:\d+: field '{field}'")
            self.assertIn(fragment, err)

    def test_fp8_checkpoint_is_refused_plainly(self):
        folder, _ = self.rewrite_config("fp8", quantization_config={"quant_method": "fp8"})
        self.expect_failure(folder, "fp8", "bf16")


if __name__ == "__main__":
    PIO_HOST = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
