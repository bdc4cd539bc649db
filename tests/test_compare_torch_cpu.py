#!/usr/bin/python3
"""tests/test_compare_torch_cpu.py — benchmarks/peer/compare_torch_cpu.py
against a stand-in pio-kernels-micro whose figures are known: the ratio and
rates it reports follow from them, a peak below a measured rate is refused
as a wrong measurement, and a bad shape or a failing tool ends the run with
a message naming it.  PyTorch runs the real (tiny) matmuls.

    test_compare_torch_cpu.py COMPARE_TORCH_CPU [unittest args]
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

COMPARE = None

FAKE_MICRO = """#!/bin/sh
# prints what pio-kernels-micro prints, with the figures of $FAKE_PEAK and $FAKE_US
case " $* " in
  *" --peaks "*) [ -n "$FAKE_NO_PEAK" ] && { echo "peak vfmadd231ps zmm threads=1: best 9.0 GFLOP/s, median 9.0"; exit 0; }
     echo "peak tdpbf16ps threads=1: best $FAKE_PEAK GFLOP/s, median 1 (2 accumulators, 20 passes)";;
  *) [ -n "$FAKE_FAIL" ] && { echo "no AMX here" >&2; exit 3; }
     echo "read bandwidth, interleaved: median 10.0 GB/s (best 11.0) over 1 MiB"
     [ -n "$FAKE_NO_TIMING" ] && exit 0
     echo "amx_bf16 bf16 rows rows=64 cols=64 n=16 threads=1: median $FAKE_US us  1.0 GB/s  1.0 GFLOP/s  (best 1.0 GB/s 1.0 GFLOP/s)";;
esac
"""


class CompareTorchCpu(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.micro = os.path.join(self.dir.name, "pio-kernels-micro")
        with open(self.micro, "w") as f:
            f.write(FAKE_MICRO)
        os.chmod(self.micro, 0o755)
        self.json = os.path.join(self.dir.name, "out.json")

    def tearDown(self):
        self.dir.cleanup()

    def run_compare(self, peak, us, shapes="64x64x16", rounds="2", **fake):
        env = dict(os.environ, FAKE_PEAK=str(peak), FAKE_US=str(us))
        env.update({"FAKE_FAIL": "", "FAKE_NO_PEAK": "", "FAKE_NO_TIMING": "", **fake})
        return subprocess.run([sys.executable, COMPARE, "--kernels-micro", self.micro,
                               "--threads", "1", "--shapes", shapes, "--reps", "3",
                               "--rounds", rounds, "--json-out", self.json],
                              capture_output=True, text=True, env=env)

    def test_rates_and_ratio_follow_from_the_timings(self):
        p = self.run_compare(peak=1e9, us=250.0)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.json) as f:
            doc = json.load(f)
        row = doc["rows"][0]
        self.assertEqual((row["rows"], row["cols"], row["tokens"]), (64, 64, 16))
        self.assertAlmostEqual(row["pio_seconds"], 250e-6)
        self.assertAlmostEqual(row["pio_gflops"], 2.0 * 64 * 64 * 16 / 250e-6 * 1e-9)
        self.assertAlmostEqual(row["speedup"], row["torch_seconds"] / row["pio_seconds"])
        self.assertEqual(len(row["samples"]["torch"]), 2)
        self.assertEqual(doc["peak_gflops"], 1e9)
        self.assertIn("64x64x16", p.stdout)

    def test_a_peak_below_a_rate_is_refused(self):
        p = self.run_compare(peak=0.5, us=250.0)
        self.assertEqual(p.returncode, 1)
        self.assertIn("above the tdpbf16ps peak", p.stderr)
        self.assertIn("the peak's measurement is wrong", p.stderr)

    def test_a_bad_shape_is_named(self):
        p = self.run_compare(peak=1e9, us=250.0, shapes="64x64x16,12x0x4")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("'12x0x4'", p.stderr)

    def test_a_failing_tool_is_named(self):
        p = self.run_compare(peak=1e9, us=250.0, FAKE_FAIL="1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("failed (3)", p.stderr)
        self.assertIn("no AMX here", p.stderr)

    def test_no_rounds_is_refused(self):
        p = self.run_compare(peak=1e9, us=250.0, rounds="0")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--threads, --reps and --rounds must be at least 1", p.stderr)

    def test_a_tool_without_the_path_s_peak_is_named(self):
        p = self.run_compare(peak=1e9, us=250.0, FAKE_NO_PEAK="1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("measured no tdpbf16ps peak", p.stderr)

    def test_a_tool_that_prints_no_timing_is_named(self):
        p = self.run_compare(peak=1e9, us=250.0, FAKE_NO_TIMING="1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("printed no timing for 64x64x16", p.stderr)

    def test_missing_pytorch_is_named(self):
        hide = os.path.join(self.dir.name, "hide", "torch")
        os.makedirs(hide)
        with open(os.path.join(hide, "__init__.py"), "w") as f:
            f.write("raise ImportError('no torch in this test')\n")
        env = dict(os.environ, PYTHONPATH=os.path.dirname(hide))
        p = subprocess.run([sys.executable, COMPARE, "--kernels-micro", self.micro],
                           capture_output=True, text=True, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("PyTorch is needed (Debian: python3-torch", p.stderr)


if __name__ == "__main__":
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIP: PyTorch (python3-torch) is not installed")
        sys.exit(77)
    COMPARE = sys.argv.pop(1)
    unittest.main()
