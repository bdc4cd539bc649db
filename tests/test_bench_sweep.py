#!/usr/bin/python3
"""tests/test_bench_sweep.py PIO_BENCH MODELS SCHEMAS -- `pio-bench run` over
several configurations: every combination of the lists and models is
measured beside its own limits, in the order the options give; each median
comes with its spread; -o csv|jsonl|md and --json carry the same runs;
--plot draws each figure against its limit.  A tiny synthetic Llama keeps
it quick; no figure's size is judged (timings belong in benchmarks), only
that each is a measurement within its limit and its spread holds it."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_manifest_schema import errors, schema_loader  # noqa: E402

PIO_BENCH, MODELS, SCHEMAS = sys.argv[1:4]
del sys.argv[1:4]
TINY = "tiny-doc-llama"
FAST = ["--synthetic", "--gen-tokens", "2", "--repeat", "3", "--no-progress"]
SVG = "{http://www.w3.org/2000/svg}"


schema = schema_loader(SCHEMAS)


class Sweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pio-test-sweep-")
        cls.env = dict(os.environ, PIO_MODELS_PATH=MODELS,
                       XDG_CACHE_HOME=os.path.join(cls.tmp, "cache"))

    def bench(self, *args, rc=0):
        # A prompt within the tiny model's context of 64, unless a test says otherwise
        # (a later --prompt-tokens replaces an earlier one).
        p = subprocess.run([PIO_BENCH, "run", "--prompt-tokens", "4", *args], env=self.env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, rc, p.stderr + p.stdout)
        return p

    def assert_run(self, run):
        for phase in ("prefill", "decode"):
            value = run["%s_tokens_per_second" % phase]
            self.assertGreater(value, 0)
            self.assertLessEqual(value, run["%s_limit_tokens_per_second" % phase])
            sp = run["%s_tokens_per_second_spread" % phase]
            self.assertLessEqual(sp["min"], value * (1 + 1e-9))
            self.assertGreaterEqual(sp["max"], value * (1 - 1e-9))
            self.assertAlmostEqual(sp["percent"], 100 * (sp["max"] - sp["min"]) / (2 * value))

    def test_every_combination_in_order_as_json_lines(self):
        p = self.bench("--model", TINY, "--prompt-tokens", "4,8", "--threads", "1,2", "-o",
                       "jsonl", *FAST)
        runs = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual([(r["prompt_tokens"], r["threads"]) for r in runs],
                         [(4, 1), (4, 2), (8, 1), (8, 2)])
        for r in runs:
            self.assertEqual(list(errors(r, schema("bench-run.schema.json"), resolve=schema)), [])
            self.assert_run(r)

    def test_models_are_the_outer_axis(self):
        p = self.bench("--model", TINY, "--model", "./" + os.path.relpath(
            os.path.join(MODELS, TINY + ".json")), "--prompt-tokens", "4,5", "-o", "jsonl", *FAST)
        runs = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual([(r["model"]["name"], r["prompt_tokens"]) for r in runs][0:2],
                         [(TINY, 4), (TINY, 5)])
        self.assertEqual(len(runs), 4)
        self.assertTrue(runs[2]["model"]["name"].endswith(TINY + ".json"))

    def test_json_holds_the_axes_and_every_run(self):
        p = self.bench("--model", TINY, "--gen-tokens", "2,3", "--json", "--synthetic",
                       "--repeat", "2", "--no-progress")
        doc = json.loads(p.stdout)
        self.assertEqual(list(errors(doc, schema("bench-run.schema.json"), resolve=schema)), [])
        self.assertEqual(doc["sweep"]["gen_tokens"], [2, 3])
        self.assertEqual([r["gen_tokens"] for r in doc["runs"]], [2, 3])
        for r in doc["runs"]:
            self.assert_run(r)

    def test_csv_has_a_header_and_a_line_a_configuration(self):
        p = self.bench("--model", TINY, "--prompt-tokens", "4,6,8", "-o", "csv", *FAST)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        self.assertEqual([int(r["prompt_tokens"]) for r in rows], [4, 6, 8])
        for r in rows:
            self.assertLessEqual(float(r["decode_tokens_per_second"]),
                                 float(r["decode_limit_tokens_per_second"]))
            self.assertGreaterEqual(float(r["prefill_spread_percent"]), 0)

    def test_markdown_is_a_table(self):
        p = self.bench("--model", TINY, "--threads", "1,2", "-o", "md", *FAST)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 4)  # heading, rule, two configurations
        self.assertTrue(all(l.startswith("|") and l.endswith("|") for l in lines))
        self.assertEqual(lines[1].count("|"), lines[0].count("|"))

    def test_table_prints_the_spread_of_each_median(self):
        p = self.bench("--model", TINY, "--threads", "1,2", *FAST)
        self.assertIn("2 configurations", p.stdout)
        rows = [l for l in p.stdout.splitlines() if l.startswith(TINY)]
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertEqual(row.count("±"), 2, row)
        single = self.bench("--model", TINY, *FAST).stdout
        self.assertRegex(single, r"\nprefill +[0-9.]+ tok/s ±[0-9.]+%")
        self.assertRegex(single, r"\ndecode +[0-9.]+ tok/s ±[0-9.]+%")

    def test_plot_draws_each_figure_against_its_limit(self):
        path = os.path.join(self.tmp, "plot.svg")
        self.bench("--model", TINY, "--prompt-tokens", "4,8", "--plot", path, *FAST)
        root = ET.parse(path).getroot()
        self.assertEqual(root.tag, SVG + "svg")
        rects = root.findall(SVG + "rect")
        limits = [r for r in rects if r.get("class") == "limit"]
        values = [r for r in rects if r.get("class") == "value"]
        self.assertEqual((len(limits), len(values)), (4, 4))  # 2 configurations x 2 phases
        for lim, val in zip(limits, values):
            self.assertLessEqual(float(val.get("width")), float(lim.get("width")) + 1e-6)
        labels = [t.text for t in root.iter(SVG + "text") if t.get("class") == "label"]
        self.assertEqual(len(labels), 4)
        self.assertTrue(all(l.startswith(TINY) for l in labels))

    def test_bad_lists_are_usage_errors(self):
        for args, message in ((["--prompt-tokens", "4,,8"], "--prompt-tokens"),
                              (["--threads", "0,2"], "--threads"),
                              (["--gen-tokens", "2,x"], "--gen-tokens"),
                              (["-o", "xml"], "expected table, csv, jsonl or md"),
                              # two formats for one stdout: neither silently wins
                              (["--json", "-o", "csv"], "--json and -o csv: one format on "
                                                        "stdout (--json-out FILE writes the "
                                                        "JSON beside it)"),
                              (["--prompt-tokens", ",".join(["4"] * 17)], "at most 16 values")):
            p = self.bench("--model", TINY, "--synthetic", *args, rc=2)
            # with --json the usage error is the error document on stdout
            self.assertIn(message, p.stdout if "--json" in args else p.stderr)
        many = ",".join(str(i) for i in range(1, 17))
        p = self.bench("--model", TINY, "--synthetic", "--prompt-tokens", many,
                       "--gen-tokens", many, "--threads", "1,2", rc=2)
        self.assertIn("configurations, more than 256", p.stderr)

    def test_a_failing_configuration_names_itself(self):
        p = self.bench("--model", TINY, "--prompt-tokens", "4,100000", *FAST, rc=2)
        self.assertIn("100000 prompt", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
