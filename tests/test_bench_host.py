#!/usr/bin/python3
"""tests/test_bench_host.py — `pio-bench host`, driven as a user drives it:
the JSON report's shape and counts (every copy listed ok, the cached and
uncached listings equal, one row per sweep size), the table's rows, the
GStreamer rows or the reason they are missing, and bad options.  Times are
only checked to be positive: they are the benchmark's output, not a test.

usage: test_bench_host.py PIO_BENCH
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

BENCH = sys.argv[1]
del sys.argv[1:2]


def run(*args):
    env = dict(os.environ)
    env["TMPDIR"] = tempfile.gettempdir()
    proc = subprocess.run([BENCH, "host", *args], env=env, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


class Host(unittest.TestCase):
    def test_json_report_lists_every_copy_ok_and_cache_agrees(self):
        rc, out, err = run("--plugins", "12", "--repeat", "1", "--no-gst", "--json")
        self.assertEqual(rc, 0, err)
        report = json.loads(out)
        self.assertEqual(report["scenario"], "host")
        self.assertEqual(report["source_plugin"], "llama3_1")
        (point,) = report["pio"]
        self.assertEqual(point["plugins_made"], 12)
        self.assertEqual(point["plugins_ok"], 12)
        self.assertGreaterEqual(point["plugins_listed"], 12)
        self.assertTrue(point["cache_agrees"])
        for key in ("cold_no_cache_ms", "cold_fresh_cache_ms", "warm_ms", "load_ms",
                    "cpu_cold_no_cache_ms", "cpu_warm_ms", "floor_start_ms", "floor_stat_ms"):
            self.assertGreater(point[key], 0, key)
        self.assertFalse(report["gstreamer"]["ran"])
        self.assertIn("--no-gst", report["gstreamer"]["why"])

    def test_table_shows_pio_and_gstreamer_rows_or_why_not(self):
        rc, out, err = run("--plugins", "5", "--repeat", "1")
        self.assertEqual(rc, 0, err)
        self.assertIn("pio-host list", out)
        self.assertIn("load 'llama3_1' by name among 5", out)
        self.assertIn("limits in this run, under a warm listing: starting pio-host", out)
        self.assertIn("agree: yes; 5 of 5 made plugins ok", out)
        self.assertTrue("gst-inspect-1.0  wall" in out or "gst-inspect-1.0: " in out, out)

    def test_scratch_folder_is_removed_unless_kept(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, TMPDIR=tmp)
            proc = subprocess.run([BENCH, "host", "--plugins", "3", "--repeat", "1", "--no-gst"],
                                  env=env, capture_output=True, text=True, timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(os.listdir(tmp), [])
            proc = subprocess.run([BENCH, "host", "--plugins", "3", "--repeat", "1", "--no-gst",
                                   "--keep"], env=env, capture_output=True, text=True,
                                  timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("scratch folder kept", proc.stderr)
            (kept,) = os.listdir(tmp)
            self.assertEqual(len(os.listdir(os.path.join(tmp, kept, "plugins"))), 3)

    def test_bad_options_are_usage_errors(self):
        for args in (["--plugins", "0"], ["--plugins", "x"], ["--repeat", "0"],
                     ["--plugins", "100001"], ["--bogus"], ["extra"]):
            rc, _, err = run(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn("pio-bench host", err)

    def test_unknown_source_plugin_fails_naming_it(self):
        rc, _, err = run("--source", "no_such_plugin", "--plugins", "2", "--no-gst")
        self.assertEqual(rc, 1)
        self.assertIn("no_such_plugin", err)

    def test_pio_host_that_cannot_run_says_why(self):
        missing = os.path.join(tempfile.gettempdir(), "no-such-dir-pio", "pio-host")
        rc, _, err = run("--pio-host", missing, "--plugins", "2", "--repeat", "1", "--no-gst")
        self.assertEqual(rc, 1, err)
        self.assertIn(f"{missing} list --plugin-path ", err)
        self.assertIn(": cannot run: No such file or directory", err)

    def test_help_describes_the_options(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for option in ("--plugins", "--repeat", "--sweep", "--json", "--no-gst"):
            self.assertIn(option, out)


if __name__ == "__main__":
    unittest.main()
