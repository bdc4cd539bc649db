#!/usr/bin/python3
"""tests/test_json_documents.py PIO_HOST PIO_BENCH FIXTURES BUILD_PLUGINS SCHEMAS MODELS PRESETS --
every JSON document pio-host and pio-bench print, errors included, obeys
its schema in docs/json/ (head.schema.json: schema_version, the tool, the
machine), and every schema there is exercised.  Also the rest of what a
demanding user meets first: --version; "did you mean" for a mistyped
command, option, plugin, scenario or model; kvbench's spellings; a
config.json named where a model folder is; and the warning for config
fields the plugin does not read."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_manifest_schema import errors, schema_loader  # noqa: E402

PIO_HOST, PIO_BENCH, FIXTURES, BUILD_PLUGINS, SCHEMAS, MODELS, PRESETS = sys.argv[1:8]
del sys.argv[1:8]
EXERCISED = set()


schema = schema_loader(SCHEMAS)


class Documents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pio-test-json-")
        cls.env = dict(os.environ, PIO_MODELS_PATH=MODELS,
                       XDG_CACHE_HOME=os.path.join(cls.tmp, "cache"))

    def run_tool(self, *argv, rc=0):
        p = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, rc, "%s\n%s%s" % (argv, p.stdout, p.stderr))
        return p

    def document(self, kind, schema_name, *argv, rc=0):
        p = self.run_tool(*argv, rc=rc)
        doc = json.loads(p.stdout)
        found = list(errors(doc, schema(schema_name), resolve=schema))
        self.assertEqual(found, [], "%s breaks %s" % (argv, schema_name))
        self.assertEqual(doc["document"], kind)
        self.assertEqual(doc["schema_version"], 1)
        self.assertTrue(doc["machine"]["cpu_model"])
        self.assertIn("scalar", doc["tool"]["kernel_paths_built"])
        EXERCISED.add(schema_name)
        return doc

    def test_list(self):
        doc = self.document("pio-host list", "list.schema.json", PIO_HOST, "list", "--json",
                            "--plugin-path", FIXTURES, "fixture-good", "no-such-plugin", rc=1)
        self.assertEqual([p["name"] for p in doc["plugins"]], ["fixture-good"])
        self.assertEqual(doc["missing"], ["no-such-plugin"])

    def test_info(self):
        doc = self.document("pio-host info", "info.schema.json", PIO_HOST, "info", "--json",
                            "llama3_1")
        self.assertEqual(doc["plugin"]["status"], "ok")
        self.assertTrue(doc["plugin"]["presets"])

    def test_validate(self):
        doc = self.document("pio-host validate", "validate.schema.json", PIO_HOST, "validate",
                            "--json", os.path.join(BUILD_PLUGINS, "llama3_1"))
        self.assertEqual(doc["result"], "ok")
        doc = self.document("pio-host validate", "validate.schema.json", PIO_HOST, "validate",
                            "--json", os.path.join(FIXTURES, "ctor_crash"), rc=1)
        self.assertEqual(doc["result"], "crashed")

    def test_run(self):
        doc = self.document("pio-host run", "run.schema.json", PIO_HOST, "run", "--json",
                            "tiny-doc-llama", "--synthetic=3", "--tokens", "1,2,3",
                            "--max-new-tokens", "4")
        self.assertEqual(len(doc["generated"]), 4)
        self.assertEqual(doc["plugin"], "llama3_1")

    def test_tokenize(self):
        tokenizer = os.path.join(os.path.dirname(MODELS), "tokenizers", "gpt2_like.json")
        doc = self.document("pio-host tokenize", "tokenize.schema.json", PIO_HOST, "tokenize",
                            tokenizer, "--text", "Hello world", "--json")
        self.assertEqual(len(doc["ids"]), len(doc["tokens"]))

    def test_errors_are_documents_too(self):
        doc = self.document("pio-host info", "error.schema.json", PIO_HOST, "info", "--json",
                            "lama3_1", rc=1)
        self.assertEqual(doc["error"]["status"], "not found")
        self.assertIn("did you mean 'llama3_1'?", doc["error"]["message"])
        doc = self.document("pio-host run", "error.schema.json", PIO_HOST, "run", "--json",
                            "tiny-doc-llama", "--tokens", "1", rc=2)
        self.assertIn("--synthetic", doc["error"]["message"])
        doc = self.document("pio-bench kv", "error.schema.json", PIO_BENCH, "kv", "--json",
                            "--model", "no-such-model", rc=2)
        self.assertIn("no-such-model", doc["error"]["message"])

    def test_usage_errors_are_documents_too(self):
        # a bad value, an unknown option, a missing value: before or after --json
        for argv in ([PIO_HOST, "run", "tiny-doc-llama", "--max-new-tokens", "x", "--json"],
                     [PIO_HOST, "list", "--json", "--jsn"],
                     [PIO_HOST, "run", "--json", "tiny-doc-llama", "--prompt", "x", "--top-p", "0"],
                     [PIO_HOST, "tokenize", "--json", "--text"],
                     [PIO_BENCH, "run", "--model", "tiny-doc-llama", "--repeat", "0", "--json"],
                     [PIO_BENCH, "tokenize", "--json", "--txet", "x", "d"]):
            kind = "%s %s" % (os.path.basename(argv[0]), argv[1])
            doc = self.document(kind, "error.schema.json", *argv, rc=2)
            self.assertEqual(doc["error"]["status"], "invalid argument", argv)
        doc = self.document("pio-host list", "error.schema.json", PIO_HOST, "list", "--json",
                            "--jsn", rc=2)
        self.assertIn("did you mean '--json'?", doc["error"]["message"])

    def test_tokenize_errors_are_documents(self):
        bad = os.path.join(self.tmp, "bad-tokenizer.json")
        with open(bad, "w") as f:
            f.write('{"model": {"type": "Unigram"}')
        doc = self.document("pio-host tokenize", "error.schema.json", PIO_HOST, "tokenize",
                            bad, "--text", "x", "--json", rc=1)
        self.assertIn("bad-tokenizer.json", doc["error"]["message"])
        tokenizer = os.path.join(os.path.dirname(MODELS), "tokenizers", "gpt2_like.json")
        p = subprocess.run([PIO_HOST, "tokenize", tokenizer, "--json"], input=b"\xff\xfe",
                           capture_output=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, 1)
        doc = json.loads(p.stdout)
        self.assertEqual(list(errors(doc, schema("error.schema.json"), resolve=schema)), [])
        self.assertIn("stdin", doc["error"]["message"])

    def test_bench_kv(self):
        doc = self.document("pio-bench kv", "bench-kv.schema.json", PIO_BENCH, "kv", "--json",
                            "--model", "llama-3.1-8b")
        self.assertEqual(doc["kv_bytes_per_token"], 131072)

    def test_bench_kvio(self):
        self.document("pio-bench kvio", "bench-kvio.schema.json", PIO_BENCH, "kvio", "--json",
                      "--model", "tiny-doc-llama", "--isl", "32", "--reps", "1", "--dir",
                      self.tmp, "--no-progress")

    def test_bench_kvxfer(self):
        doc = self.document("pio-bench kvxfer", "bench-kvxfer.schema.json", PIO_BENCH, "kvxfer",
                            "--json", "--model", "tiny-doc-llama", "--isl", "32", "--reps", "1",
                            "--no-progress")
        self.assertTrue(all(p["verified"] for p in doc["passes"]))

    def test_bench_run(self):
        self.document("pio-bench run", "bench-run.schema.json", PIO_BENCH, "run", "--json",
                      "--model", "tiny-doc-llama", "--synthetic", "--prompt-tokens", "4",
                      "--gen-tokens", "2", "--repeat", "1", "--no-progress")

    def test_bench_plugin_path_that_is_not_a_folder_is_warned_about(self):
        # as pio-host warns (above), in each scenario's option parser; the run goes on
        not_a_folder = os.path.join(self.tmp, "plugins-file")
        with open(not_a_folder, "w") as f:
            f.write("a file, not a folder\n")
        runs = (("kv", "bench-kv.schema.json", ["--model", "llama-3.1-8b"]),
                ("kvio", "bench-kvio.schema.json",
                 ["--model", "tiny-doc-llama", "--isl", "32", "--reps", "1", "--dir", self.tmp,
                  "--no-progress"]),
                ("run", "bench-run.schema.json",
                 ["--model", "tiny-doc-llama", "--synthetic", "--prompt-tokens", "4",
                  "--gen-tokens", "2", "--repeat", "1", "--no-progress"]))
        for scenario, schema_name, args in runs:
            with self.subTest(scenario=scenario):
                argv = [PIO_BENCH, scenario, "--json", "--plugin-path", "/nonexistent/plugins",
                        "--plugin-path", not_a_folder, *args]
                p = self.run_tool(*argv)
                self.assertIn("pio-bench %s: warning: --plugin-path /nonexistent/plugins: "
                              "No such file or directory\n" % scenario, p.stderr)
                self.assertIn("pio-bench %s: warning: --plugin-path %s: not a folder\n"
                              % (scenario, not_a_folder), p.stderr)
                self.document("pio-bench " + scenario, schema_name, *argv)

    def test_bench_tokenize(self):
        tokenizer = os.path.join(os.path.dirname(MODELS), "tokenizers", "gpt2_like.json")
        paragraphs = ["Hello world\n\n", "Second paragraph\n"]
        text = os.path.join(self.tmp, "bench-tokenize.txt")
        with open(text, "w") as f:
            f.write("".join(paragraphs))
        ids = [self.run_tool(PIO_HOST, "tokenize", tokenizer, "--text", p).stdout.strip()
               for p in paragraphs]
        reference = os.path.join(self.tmp, "bench-tokenize.ids")
        with open(reference, "w") as f:
            f.write("\n".join(ids) + "\n")
        argv = [PIO_BENCH, "tokenize", tokenizer, "--text", text, "--repeat", "1", "--json"]
        doc = self.document("pio-bench tokenize", "bench-tokenize.schema.json", *argv,
                            "--reference-ids", reference)
        self.assertEqual((doc["documents"], doc["reference_ids_identical"]), (2, True))
        self.assertEqual(doc["tokens"], sum(len(i.split(",")) for i in ids))
        with open(reference, "w") as f:
            f.write(ids[0] + "\n0\n")
        doc = self.document("pio-bench tokenize", "bench-tokenize.schema.json", *argv,
                            "--reference-ids", reference, rc=1)
        self.assertEqual(doc["reference_first_difference"], 2)
        doc = self.document("pio-bench tokenize", "error.schema.json", PIO_BENCH, "tokenize",
                            tokenizer, "--text", text + ".missing", "--json", rc=1)
        self.assertIn("bench-tokenize.txt.missing", doc["error"]["message"])

    def test_bench_host(self):
        doc = self.document("pio-bench host", "bench-host.schema.json", PIO_BENCH, "host",
                            "--json", "--plugins", "3", "--repeat", "1", "--no-gst")
        self.assertEqual(doc["pio"][0]["plugins_ok"], 3)

    def test_zz_every_schema_is_exercised(self):
        shared = {"head.schema.json", "plugin.schema.json"}
        for name in sorted(os.listdir(SCHEMAS)):
            if name.endswith(".schema.json") and name not in shared:
                self.assertIn(name, EXERCISED, "no test prints a %s document" % name)


class Models(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio-test-models-")
        self.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))

    def tearDown(self):
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kv(self, *args, rc=0):
        p = subprocess.run([PIO_BENCH, "kv", "--json", *args], env=self.env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, rc, p.stderr)
        return p

    def test_kvbench_spellings_are_aliases(self):
        ours = json.loads(self.kv("--model", "llama-3.1-8b", "--page-size", "32", "--access",
                                  "layer", "--batch", "4").stdout)
        theirs = json.loads(self.kv("--model", "llama3.1-8b", "--page_size", "32",
                                    "--access_pattern", "layer", "--num_requests", "4").stdout)
        for key in ("config_path", "page_size", "access", "batch", "kv_bytes_batch",
                    "io_bytes_per_page"):
            self.assertEqual(ours[key], theirs[key], key)

    def test_mistyped_model_gets_a_guess(self):
        p = subprocess.run([PIO_BENCH, "kv", "--model", "lama-3.1-8b"], env=self.env,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("did you mean 'llama-3.1-8b'?", p.stderr)

    def test_config_json_stands_for_its_folder(self):
        folder = os.path.join(self.tmp, "Llama-3.1-8B")
        os.makedirs(folder)
        with open(os.path.join(PRESETS, "llama-3.1-8b.json")) as f:
            config = json.load(f)
        path = os.path.join(folder, "config.json")
        with open(path, "w") as f:
            json.dump(config, f)
        by_folder = json.loads(self.kv("--model", folder).stdout)
        by_file = json.loads(self.kv("--model", path).stdout)
        self.assertEqual(by_folder["config_path"], by_file["config_path"])
        self.assertEqual(by_folder["kv_bytes_per_token"], by_file["kv_bytes_per_token"])

    def test_field_the_plugin_does_not_read_is_warned_about(self):
        with open(os.path.join(MODELS, "tiny-doc-llama.json")) as f:
            config = json.load(f)
        config["sliding_window"] = 16
        path = os.path.join(self.tmp, "sliding.json")
        with open(path, "w") as f:
            json.dump(config, f)
        p = self.kv("--model", path)
        self.assertIn("plugin llama3_1 does not read field 'sliding_window': its value has no "
                      "effect", p.stderr)
        p = subprocess.run([PIO_HOST, "run", path, "--synthetic", "--tokens", "1",
                            "--max-new-tokens", "1"], env=self.env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("does not read field 'sliding_window'", p.stderr)

    def test_no_preset_holds_a_field_its_plugin_ignores(self):
        for name in sorted(os.listdir(PRESETS)):
            if name.endswith(".json"):
                p = self.kv("--model", name[:-len(".json")])
                self.assertNotIn("warning", p.stderr, name)


class Hints(unittest.TestCase):
    def hint(self, argv, expected):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(expected, p.stderr)

    def test_version_names_commit_and_kernel_paths(self):
        for tool in (PIO_HOST, PIO_BENCH):
            out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
            self.assertRegex(out, r"\ncommit: \S+\n")
            self.assertRegex(out, r"\nkernel paths built: scalar")
            self.assertRegex(out, r"\nkernel paths this CPU runs: scalar")
            # every path named is one --kernel takes
            built = re.search(r"\nkernel paths built: (.*)\n", out).group(1).split()
            for path in built:
                p = subprocess.run([PIO_HOST, "run", "--kernel", path, "--help"],
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, "--kernel %s: %s" % (path, p.stderr))

    def test_mistyped_command(self):
        self.hint([PIO_HOST, "lsit"], "did you mean 'list'?")
        self.hint([PIO_BENCH, "rn"], "did you mean 'run'?")

    def test_mistyped_option(self):
        self.hint([PIO_HOST, "list", "--jsn"], "unknown option '--jsn'; did you mean '--json'?")
        self.hint([PIO_HOST, "run", "--max-nwe-tokens=3", "m"],
                  "did you mean '--max-new-tokens'?")

    def test_plugin_path_that_is_not_a_folder_is_warned_about(self):
        p = subprocess.run([PIO_HOST, "list", "--plugin-path", "/nonexistent/plugins", "--json"],
                           capture_output=True, text=True, timeout=60)
        self.assertIn("pio-host list: warning: --plugin-path /nonexistent/plugins: No such file",
                      p.stderr)
        json.loads(p.stdout)  # the listing goes on

    def test_far_from_everything_gets_no_guess(self):
        p = subprocess.run([PIO_HOST, "list", "--zzzzzzzz"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertNotIn("did you mean", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
