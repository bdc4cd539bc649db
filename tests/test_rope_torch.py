#!/usr/bin/python3
"""tests/test_rope_torch.py — pio's RoPE inverse frequencies and YaRN
attention factor against transformers' arithmetic, written here in PyTorch
float32 as transformers' _compute_{default,linear_scaling,llama3,yarn}_
parameters compute them (Debian's python3-torch has no transformers).

PyTorch's float32 pow (SLEEF's) is within 1 ulp of the correctly rounded
power, and pio takes the correctly rounded one; so the frequencies must be
the same bits as transformers' arithmetic with that one pow correctly
rounded (and so must the float32 angles at 128K positions), and within 2
ulp of transformers' own.

    test_rope_torch.py ROPE_DUMP [unittest args]
"""
import math
import subprocess
import sys
import unittest

import torch

ROPE_DUMP = None
EXACT_POW = False  # the references below use PyTorch's pow, or the correctly rounded one


def power(base, exponent):
    """base ** exponent as transformers writes it: a Python float to the
    power of a float32 tensor."""
    if EXACT_POW:
        return (torch.tensor(base, dtype=torch.float32).double() ** exponent.double()).float()
    return base ** exponent


def default(dim, base):
    return 1.0 / power(base, torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)


def linear(dim, base, factor):
    inv_freq = default(dim, base)
    inv_freq /= factor
    return inv_freq


def llama3(dim, base, factor, low, high, old_len):
    inv_freq = default(dim, base)
    low_freq_wavelen = old_len / low
    high_freq_wavelen = old_len / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
    medium = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(medium, smoothed, inv_freq_llama)


def yarn(dim, base, factor, original, beta_fast=None, beta_slow=None, mscale=None,
         mscale_all_dim=None, attention_factor=None, truncate=True):
    def get_mscale(scale, m=1):
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)
    beta_fast = beta_fast or 32
    beta_slow = beta_slow or 1

    def correction_dim(rotations):
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1)
    pos_freqs = power(base, torch.arange(0, dim, 2).float() / dim)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp
    inv_freq = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor
    return inv_freq, attention_factor


def pio(kind, dim, theta, factor=0, low=0, high=0, original=0, beta_fast=0, beta_slow=0,
        mscale=0, mscale_all_dim=0, attention_factor=0, no_truncate=0):
    args = [ROPE_DUMP, kind, str(dim), repr(theta), repr(factor), repr(low), repr(high),
            str(original), repr(beta_fast), repr(beta_slow), repr(mscale), repr(mscale_all_dim),
            repr(attention_factor), str(no_truncate)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    return float.fromhex(out[0]), torch.tensor([float.fromhex(v) for v in out[1:]],
                                               dtype=torch.float32)


def reference(fn, *args, **kwargs):
    """fn's result with PyTorch's pow and with the correctly rounded one."""
    global EXACT_POW
    EXACT_POW = True
    exact = fn(*args, **kwargs)
    EXACT_POW = False
    return fn(*args, **kwargs), exact


def first(result):
    return result[0] if isinstance(result, tuple) else result


class TestAgainstTransformers(unittest.TestCase):
    def same_bits(self, got, fn, *args, **kwargs):
        torch_pow, exact_pow = (first(r) for r in reference(fn, *args, **kwargs))
        ulps = (got.view(torch.int32) - torch_pow.view(torch.int32)).abs()
        self.assertLessEqual(int(ulps.max()), 2, f"pio {got.tolist()} transformers "
                                                 f"{torch_pow.tolist()}")
        want = exact_pow
        self.assertEqual(got.shape, want.shape)
        diff = (got.view(torch.int32) != want.view(torch.int32)).nonzero().flatten().tolist()
        self.assertEqual(diff, [], f"differ at {diff}: pio {got[diff].tolist()} "
                                   f"transformers {want[diff].tolist()}")
        # Angles at long positions, formed as transformers forms them.
        positions = torch.tensor([1, 4095, 8191, 32767, 131071], dtype=torch.float32)
        self.assertTrue(torch.equal(got[:, None] @ positions[None, :],
                                    want[:, None] @ positions[None, :]))

    def test_default(self):
        for dim, base in [(64, 10000.0), (128, 500000.0), (96, 1000000.0), (2, 10000.0)]:
            _, got = pio("default", dim, base)
            self.same_bits(got, default, dim, base)

    def test_linear(self):
        _, got = pio("linear", 128, 10000.0, factor=4.0)
        self.same_bits(got, linear, 128, 10000.0, 4.0)

    def test_llama3(self):
        # Llama 3.1/3.2's published rope_scaling, and a short original
        # context where every band is populated.
        for dim, base, old in [(128, 500000.0, 8192), (64, 500000.0, 8192), (8, 10000.0, 16)]:
            _, got = pio("llama3", dim, base, factor=8.0, low=1.0, high=4.0, original=old)
            self.same_bits(got, llama3, dim, base, 8.0, 1.0, 4.0, old)

    def test_yarn_deepseek(self):
        # DeepSeek-V3 (and V2-Lite's 64-dim rope part) rope_scaling.
        for factor, original in [(40.0, 4096), (4.0, 4096)]:
            attention, got = pio("yarn", 64, 10000.0, factor=factor, original=original,
                                 beta_fast=32, beta_slow=1, mscale=1.0, mscale_all_dim=1.0)
            _, want_attention = yarn(64, 10000.0, factor, original, 32, 1, 1.0, 1.0)
            self.same_bits(got, yarn, 64, 10000.0, factor, original, 32, 1, 1.0, 1.0)
            self.assertEqual(attention, want_attention)
        attention, got = pio("yarn", 64, 10000.0, factor=40.0, original=4096, mscale=0.707,
                             mscale_all_dim=1.0)
        _, want_attention = yarn(64, 10000.0, 40.0, 4096, mscale=0.707, mscale_all_dim=1.0)
        self.same_bits(got, yarn, 64, 10000.0, 40.0, 4096, mscale=0.707, mscale_all_dim=1.0)
        self.assertAlmostEqual(attention, want_attention, places=15)

    def test_yarn_qwen_and_gpt_oss(self):
        # Qwen3's suggested yarn (factor 4 over 32768, no mscale fields), and
        # GPT-OSS's (factor 32 over 4096, theta 150000, truncate false).
        attention, got = pio("yarn", 128, 1000000.0, factor=4.0, original=32768)
        _, want_attention = yarn(128, 1000000.0, 4.0, 32768)
        self.same_bits(got, yarn, 128, 1000000.0, 4.0, 32768)
        self.assertAlmostEqual(attention, want_attention, places=15)
        attention, got = pio("yarn", 64, 150000.0, factor=32.0, original=4096, no_truncate=1)
        _, want_attention = yarn(64, 150000.0, 32.0, 4096, truncate=False)
        self.same_bits(got, yarn, 64, 150000.0, 32.0, 4096, truncate=False)
        self.assertAlmostEqual(attention, want_attention, places=15)

    def test_yarn_explicit_attention_factor(self):
        attention, got = pio("yarn", 64, 10000.0, factor=8.0, original=2048,
                             attention_factor=0.75)
        self.same_bits(got, yarn, 64, 10000.0, 8.0, 2048, attention_factor=0.75)
        self.assertEqual(attention, 0.75)

    def test_bad_parameters_are_refused(self):
        proc = subprocess.run([ROPE_DUMP, "yarn", "63", "10000", "4", "0", "0", "4096", "0", "0",
                               "0", "0", "0", "0"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("rotary dimension", proc.stderr)


if __name__ == "__main__":
    ROPE_DUMP = sys.argv.pop(1)
    unittest.main()
