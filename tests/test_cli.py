#!/usr/bin/python3
"""tests/test_cli.py — `pio-host` end to end: output and exit status of
list, list --json, list --check-load, info and validate against the fixture
plugins; crashing plugins reported as `crashed` while pio-host exits
normally; --help everywhere; bad usage exits 2; text from manifests and
folder names never reaches the terminal raw.

usage: test_cli.py PIO_HOST FIXTURE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

PIO_HOST = None
FIXTURES = None
RAW_CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n"] + ["\x7f"]
PROBLEMS = ("invalid", "incompatible", "failed", "crashed")  # exit 1; ok and shadowed exit 0


class PioHostTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio-test-cli-")
        os.chmod(self.tmp, 0o755)
        self.env = dict(os.environ)
        self.env.pop("PIO_PLUGIN_PATH", None)
        self.env.pop("PIO_REGISTRY", None)
        self.env.pop("PIO_MODELS_PATH", None)
        # Keep the user's folders out of it: no user plugins, no cache.
        self.env["XDG_DATA_HOME"] = os.path.join(self.tmp, "data")
        self.env["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_host(self, *args, paths=None):
        """Runs pio-host COMMAND --plugin-path P... --no-cache ARGS."""
        paths = (FIXTURES,) if paths is None else paths
        argv = [PIO_HOST]
        if args and not args[0].startswith("-"):
            argv.append(args[0])
            args = args[1:]
            for p in paths:
                argv += ["--plugin-path", p]
            argv.append("--no-cache")
        argv += list(args)
        proc = subprocess.run(argv, env=self.env, capture_output=True, timeout=120)
        self.assertGreaterEqual(proc.returncode, 0, "pio-host died on a signal: %r" % (argv,))
        return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")

    def list_json(self, *args, paths=None):
        paths = (FIXTURES,) if paths is None else paths
        rc, out, err = self.run_host("list", "--json", *args, paths=paths)
        listed = json.loads(out)["plugins"]
        self.assertEqual(rc, 1 if any(p["status"] in PROBLEMS for p in listed) else 0, err)
        return {p["name"]: p for p in listed if p["dir"].startswith(tuple(paths))}

    def copy_fixture(self, name, parent, as_name=None):
        dest = os.path.join(parent, as_name or name)
        shutil.copytree(os.path.join(FIXTURES, name), dest, symlinks=True)
        os.chmod(dest, 0o755)
        return dest

    def assert_no_raw_controls(self, text):
        for c in RAW_CONTROLS:
            self.assertNotIn(c, text, "raw control character %r reached the output" % c)


class Usage(PioHostTest):
    def test_help_everywhere_exits_0(self):
        for args in (["--help"], ["list", "--help"], ["info", "--help"], ["validate", "--help"],
                     ["list", "-h"], ["info", "-h"]):
            proc = subprocess.run([PIO_HOST] + args, env=self.env, capture_output=True)
            self.assertEqual(proc.returncode, 0, args)
            self.assertIn(b"Usage: pio-host", proc.stdout, args)
            self.assertIn(b"Exit status", proc.stdout, args)

    def test_version_exits_0(self):
        proc = subprocess.run([PIO_HOST, "--version"], capture_output=True)
        self.assertEqual(proc.returncode, 0)
        text = proc.stdout.decode()
        self.assertRegex(text, r"^pio-host \d+\.\d+\.\d+\n")
        self.assertRegex(text, r"\ncommit: \S+\n")
        self.assertRegex(text, r"\nplugin ABI: \d+\.\d+\n")
        self.assertRegex(text, r"\nkernel paths built: scalar( \w+)*\n")
        self.assertRegex(text, r"\nkernel paths this CPU runs: scalar( \w+)* \(best: \w+\)\n")

    def test_no_command_is_bad_usage(self):
        proc = subprocess.run([PIO_HOST], capture_output=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"Usage: pio-host", proc.stderr)

    def test_unknown_command_is_bad_usage(self):
        proc = subprocess.run([PIO_HOST, "frobnicate"], capture_output=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"unknown command 'frobnicate'", proc.stderr)

    def test_unknown_option_is_bad_usage(self):
        rc, _, err = self.run_host("list", "--bogus")
        self.assertEqual(rc, 2)
        self.assertIn("Try 'pio-host list --help'", err)

    def test_info_needs_exactly_one_name(self):
        rc, _, err = self.run_host("info")
        self.assertEqual(rc, 2)
        self.assertIn("expected one plugin NAME", err)
        rc, _, _ = self.run_host("info", "a", "b")
        self.assertEqual(rc, 2)

    def test_validate_of_a_missing_folder_is_bad_usage(self):
        absent = os.path.join(self.tmp, "absent")
        rc, _, err = self.run_host("validate", absent)
        self.assertEqual(rc, 2)
        self.assertIn(f"'{absent}': No such file or directory", err)
        rc, _, err = self.run_host("validate", "")
        self.assertEqual(rc, 2)
        self.assertIn("'': No such file or directory", err)
        a_file = os.path.join(self.tmp, "a-file")
        open(a_file, "w").close()
        rc, _, err = self.run_host("validate", a_file)
        self.assertEqual(rc, 2)
        self.assertIn(f"'{a_file}' is not a folder", err)


class List(PioHostTest):
    def test_table_lists_good_and_broken_plugins_and_exits_1(self):
        rc, out, err = self.run_host("list")
        self.assertEqual(rc, 1, err)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^NAME +VERSION +ARCHITECTURE +STATUS$")
        row = [l for l in lines if l.startswith("fixture-good ")]
        self.assertEqual(len(row), 1)
        self.assertRegex(row[0], r"^fixture-good +1\.0\.0 +FixtureForCausalLM +ok$")
        row = [l for l in lines if l.startswith("fixture-missing-module ")][0]
        self.assertIn("invalid: module not found", row)
        row = [l for l in lines if l.startswith("fixture-incompatible ")][0]
        self.assertIn("incompatible: ", row)
        self.assertIn("min_memory_gb", row)
        self.assertRegex(lines[-1], r"^\d+ plugins, \d+ ok, ")

    def test_all_ok_exits_0_and_one_broken_plugin_exits_1(self):
        root = os.path.join(self.tmp, "plugins")
        os.makedirs(root)
        os.chmod(root, 0o755)
        self.copy_fixture("good", root)
        for args in (("list",), ("list", "--json")):
            rc, out, err = self.run_host(*args, paths=(root,))
            self.assertEqual(rc, 0, out + err)
        self.copy_fixture("missing_module", root)
        for args in (("list",), ("list", "--json")):
            rc, out, err = self.run_host(*args, paths=(root,))
            self.assertEqual(rc, 1, out + err)
            self.assertIn("fixture-good", out)  # still listed
            self.assertIn("module not found", out)
        rc, _, _ = self.run_host("list", "fixture-good", paths=(root,))
        self.assertEqual(rc, 0)  # only the plugins listed count

    def test_check_load_crash_exits_1(self):
        root = os.path.join(self.tmp, "plugins")
        os.makedirs(root)
        os.chmod(root, 0o755)
        self.copy_fixture("ctor_crash", root)
        rc, out, _ = self.run_host("list", paths=(root,))
        self.assertEqual(rc, 0, out)  # listing loads no code: nothing known wrong
        rc, out, _ = self.run_host("list", "--check-load", paths=(root,))
        self.assertEqual(rc, 1, out)
        self.assertIn("crashed: SIGSEGV", out)

    def test_json_has_the_documented_fields(self):
        plugins = self.list_json()
        self.assertEqual(len(plugins), 19)
        for p in plugins.values():
            for key in ("name", "version", "model_architecture", "path", "status", "reason",
                        "dir", "module", "warnings"):
                self.assertIn(key, p)
            self.assertIn(p["status"], ("ok", "invalid", "incompatible", "failed", "crashed",
                                        "shadowed"))
            self.assertTrue(p["path"].endswith("/plugin_manifest.json"))
            self.assertEqual(p["status"] == "ok", p["reason"] == "")
        good = plugins["fixture-good"]
        self.assertEqual(good["status"], "ok")
        self.assertEqual(good["version"], "1.0.0")
        self.assertEqual(good["model_architecture"], "FixtureForCausalLM")
        self.assertEqual(good["path"], os.path.join(FIXTURES, "good", "plugin_manifest.json"))
        self.assertEqual(good["module"], os.path.join(FIXTURES, "good", "fixture_good.so"))
        self.assertEqual(plugins["fixture-missing-module"]["status"], "invalid")
        self.assertIsNone(plugins["fixture-missing-module"]["module"])
        self.assertEqual(plugins["invalid_json"]["status"], "invalid")
        self.assertRegex(plugins["invalid_json"]["reason"], r"plugin_manifest\.json:\d+:\d+: ")
        self.assertEqual(plugins["path_traversal"]["status"], "invalid")
        self.assertEqual(plugins["fixture-incompatible"]["status"], "incompatible")
        # Listing loads no code.
        self.assertEqual(plugins["fixture-ctor-crash"]["status"], "ok")

    def test_check_load_reports_crashes_and_pio_host_lives(self):
        plugins = self.list_json("--check-load")
        crash = plugins["fixture-ctor-crash"]
        self.assertEqual(crash["status"], "crashed")
        self.assertIn("SIGSEGV (Segmentation fault) in a constructor", crash["reason"])
        self.assertEqual(plugins["fixture-entry-crash"]["status"], "crashed")
        self.assertEqual(plugins["fixture-abi-major"]["status"], "failed")
        self.assertEqual(plugins["fixture-version-mismatch"]["status"], "failed")
        self.assertEqual(plugins["fixture-good"]["status"], "ok")
        self.assertEqual(plugins["fixture-good"]["components"], [])

    def test_check_load_verdicts_from_the_cache_read_as_fresh_ones(self):
        # The cache keeps crashed and failed verdicts (so a crashing plugin
        # is not run again while unchanged); what pio-host says from them
        # must be what it says after loading.  Files changed less than a
        # second ago are not cached, hence the wait.
        time.sleep(1.1)
        cache = os.path.join(self.tmp, "registry")
        argv = [PIO_HOST, "list", "--plugin-path", FIXTURES, "--cache", cache, "--check-load",
                "--json"]
        fresh = subprocess.run(argv, env=self.env, capture_output=True, timeout=120)
        self.assertTrue(os.listdir(cache), "no cache written")
        cached = subprocess.run(argv, env=self.env, capture_output=True, timeout=120)
        uncached = subprocess.run(argv[:4] + ["--no-cache"] + argv[6:], env=self.env,
                                  capture_output=True, timeout=120)
        self.assertEqual(fresh.returncode, 1)
        self.assertEqual(cached.returncode, 1)
        self.assertEqual(cached.stdout, fresh.stdout)
        self.assertEqual(uncached.stdout, fresh.stdout)
        self.assertIn(b"in a constructor", cached.stdout)

    def test_info_from_the_cache_reads_as_a_fresh_one(self):
        # A record read from the cache keeps its manifest encoded until
        # asked for; info then decodes it and must print what a fresh read
        # prints.
        time.sleep(1.1)
        cache = os.path.join(self.tmp, "registry-info")
        common = ["--plugin-path", FIXTURES, "--json"]
        subprocess.run([PIO_HOST, "list", "--cache", cache] + common, env=self.env,
                       capture_output=True, timeout=120)
        self.assertTrue(os.listdir(cache), "no cache written")
        cached = subprocess.run([PIO_HOST, "info", "fixture-good", "--cache", cache] + common,
                                env=self.env, capture_output=True, timeout=120)
        fresh = subprocess.run([PIO_HOST, "info", "fixture-good", "--no-cache"] + common,
                               env=self.env, capture_output=True, timeout=120)
        self.assertEqual(cached.returncode, 0, cached.stderr)
        self.assertEqual(cached.stdout, fresh.stdout)
        self.assertIn(b'"entry_point"', cached.stdout)

    def test_named_plugin_sets_the_exit_status(self):
        rc, out, _ = self.run_host("list", "fixture-good")
        self.assertEqual(rc, 0)
        self.assertEqual(len([l for l in out.splitlines() if l.startswith("fixture-")]), 1)
        rc, _, _ = self.run_host("list", "fixture-good", "fixture-missing-module")
        self.assertEqual(rc, 1)
        rc, _, err = self.run_host("list", "no-such-plugin")
        self.assertEqual(rc, 1)
        self.assertIn("no plugin named 'no-such-plugin'", err)

    def test_later_duplicate_is_shadowed(self):
        first, second = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        os.makedirs(first)
        os.makedirs(second)
        self.copy_fixture("good", first)
        self.copy_fixture("good", second)
        rc, out, _ = self.run_host("list", "--json", paths=(first, second))
        self.assertEqual(rc, 0)
        mine = [p for p in json.loads(out)["plugins"] if p["name"] == "fixture-good"]
        self.assertEqual([p["status"] for p in mine], ["ok", "shadowed"])
        self.assertIn(os.path.join(first, "good", "plugin_manifest.json"), mine[1]["reason"])

    def test_pio_plugin_path_is_searched(self):
        self.env["PIO_PLUGIN_PATH"] = "/nonexistent:" + FIXTURES
        rc, out, _ = self.run_host("list", "--json", paths=())
        self.assertEqual(rc, 1)  # the fixtures hold broken plugins
        self.assertIn("fixture-good", [p["name"] for p in json.loads(out)["plugins"]])

    def test_hostile_module_files_are_invalid(self):
        root = os.path.join(self.tmp, "plugins")
        os.makedirs(root)
        os.chmod(root, 0o755)
        escape = self.copy_fixture("good", root, "escape")
        os.rename(os.path.join(escape, "fixture_good.so"), os.path.join(self.tmp, "outside.so"))
        os.symlink(os.path.join(self.tmp, "outside.so"), os.path.join(escape, "fixture_good.so"))
        writable = self.copy_fixture("good", root, "writable")
        os.chmod(os.path.join(writable, "fixture_good.so"), 0o777)
        rc, out, _ = self.run_host("list", "--json", paths=(root,))
        self.assertEqual(rc, 1)  # escape is invalid
        by_dir = {os.path.basename(p["dir"]): p for p in json.loads(out)["plugins"]
                  if p["dir"].startswith(root)}
        self.assertEqual(by_dir["escape"]["status"], "invalid")
        self.assertIn("outside the plugin folder", by_dir["escape"]["reason"])
        self.assertEqual(by_dir["writable"]["status"], "shadowed")  # same name as escape
        rc, out, _ = self.run_host("list", "--json", paths=(writable,))
        rc, out, _ = self.run_host("validate", writable)
        self.assertEqual(rc, 1)
        self.assertIn("writable by others", out)

    def test_control_characters_in_folder_names_are_escaped(self):
        root = os.path.join(self.tmp, "plugins")
        os.makedirs(root)
        os.chmod(root, 0o755)
        self.copy_fixture("invalid_json", root, "evil\x1b[2J\x07")
        rc, out, _ = self.run_host("list", paths=(root,))
        self.assertEqual(rc, 1)  # the manifest is invalid JSON
        self.assert_no_raw_controls(out)
        self.assertIn("evil\\x1B[2J\\x07", out)
        rc, out, _ = self.run_host("list", "--json", paths=(root,))
        self.assert_no_raw_controls(out)
        names = [p["name"] for p in json.loads(out)["plugins"]]
        self.assertIn("evil\x1b[2J\x07", names)  # JSON keeps the text, escaped


class Info(PioHostTest):
    def test_info_shows_everything_about_a_good_plugin(self):
        rc, out, err = self.run_host("info", "fixture-good")
        self.assertEqual(rc, 0, err)
        for text in ("Plugin Details:", "fixture-good", "1.0.0", "FixtureForCausalLM",
                     "pio tests", "MIT", os.path.join(FIXTURES, "good", "plugin_manifest.json"),
                     "fixture_good : fixture_good_entry", "Status               ok",
                     "Compatibility:", "Operating systems    linux", "Dependencies:",
                     "Components (from the plugin table", "config               absent"):
            self.assertIn(text, out)

    def test_info_of_a_crashing_plugin_reports_crashed_and_exits_1(self):
        rc, out, _ = self.run_host("info", "fixture-entry-crash")
        self.assertEqual(rc, 1)
        self.assertIn("crashed: SIGSEGV (Segmentation fault) in the entry point", out)

    def test_info_of_a_broken_plugin_exits_1(self):
        rc, out, _ = self.run_host("info", "fixture-missing-module")
        self.assertEqual(rc, 1)
        self.assertIn("invalid: module not found", out)

    def test_info_of_an_unknown_plugin_exits_1(self):
        rc, _, err = self.run_host("info", "no-such-plugin")
        self.assertEqual(rc, 1)
        self.assertIn("no plugin named 'no-such-plugin'", err)

    def test_terminal_escapes_in_the_manifest_are_escaped(self):
        rc, out, _ = self.run_host("info", "fixture-control-chars")
        self.assertEqual(rc, 0)
        self.assert_no_raw_controls(out)
        self.assertIn("\\x1B[31mred\\x1B[0m text, a bell \\x07 and a DEL \\x7F", out)
        self.assertIn("Mallory \\x1B]0;pwned\\x07", out)


class Variants(PioHostTest):
    """info and validate list a manifest's variants, each judged on this
    machine from the manifest alone; the CUDA driver is kept out
    (PIO_CUDA_DRIVER names a file that does not exist), so a variant that
    needs CUDA is never usable here, whatever the machine has."""

    def setUp(self):
        super().setUp()
        self.env["PIO_CUDA_DRIVER"] = os.path.join(self.tmp, "no-libcuda.so.1")
        self.parent = os.path.join(self.tmp, "plugins")
        os.makedirs(self.parent)
        folder = self.copy_fixture("good", self.parent)
        path = os.path.join(folder, "plugin_manifest.json")
        with open(path) as f:
            m = json.load(f)
        m["variants"] = [
            {"name": "gpu", "module": "fixture_good", "factory_function": "fixture_good_entry",
             "needs": {"cuda": {"compute_capability": "9.0", "driver": "12.4", "memory_gb": 8}}},
            {"name": "gone", "module": "fixture_gone", "factory_function": "fixture_good_entry"},
            {"name": "plain", "module": "fixture_good", "factory_function": "fixture_good_entry"},
            {"name": "spare", "module": "fixture_good", "factory_function": "fixture_good_entry"},
        ]
        m["entry_point"]["module"] = "fixture_good"
        with open(path, "w") as f:
            json.dump(m, f)

    def test_info_shows_each_variant_and_why_it_is_not_chosen(self):
        rc, out, err = self.run_host("info", "fixture-good", paths=(self.parent,))
        self.assertEqual(rc, 0, err)
        self.assertIn("Variants (in order of preference", out)
        self.assertIn("  Variant loaded       plain (the first of Variants below this machine runs)\n",
                      out)
        out = out[out.index("Variants ("):]
        gpu = out[out.index("  gpu "):out.index("  gone ")]
        self.assertIn("fixture_good : fixture_good_entry", gpu)
        self.assertIn("needs CUDA compute capability 9.0, driver for CUDA 12.4, 8.0 GiB", gpu)
        self.assertIn("not usable: needs a CUDA device: no CUDA driver (", gpu)
        gone = out[out.index("  gone "):out.index("  plain ")]
        self.assertIn("not usable: module fixture_gone: ", gone)
        plain = out[out.index("  plain "):out.index("  spare ")]
        self.assertIn("chosen: the one loaded here", plain)
        spare = out[out.index("  spare "):]
        self.assertIn("usable, not chosen: an earlier variant is", spare)

    def test_json_has_every_verdict(self):
        rc, out, err = self.run_host("info", "--json", "fixture-good", paths=(self.parent,))
        self.assertEqual(rc, 0, err)
        v = {x["name"]: x for x in json.loads(out)["plugin"]["variants"]}
        self.assertEqual(list(v), ["gpu", "gone", "plain", "spare"])
        self.assertEqual(v["gpu"]["cuda"], {"compute_capability": "9.0", "driver": "12.4",
                                            "memory_gb": 8.0})
        self.assertEqual((v["gpu"]["usable"], v["gpu"]["chosen"]), (False, False))
        self.assertIn("no CUDA driver", v["gpu"]["reason"])
        self.assertEqual((v["plain"]["usable"], v["plain"]["chosen"], v["plain"]["reason"]),
                         (True, True, None))
        self.assertEqual((v["spare"]["usable"], v["spare"]["chosen"]), (True, False))
        self.assertIsNone(v["plain"]["cuda"])

    def rewrite_variants(self, variants):
        path = os.path.join(self.parent, "good", "plugin_manifest.json")
        with open(path) as f:
            m = json.load(f)
        m["variants"] = variants
        with open(path, "w") as f:
            json.dump(m, f)

    def test_list_names_the_variant_a_load_would_load(self):
        rc, out, err = self.run_host("list", paths=(self.parent,))
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"fixture-good\s+\S+\s+\S+\s+ok \(variant plain\)\n")
        rc, out, err = self.run_host("list", "--json", paths=(self.parent,))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["plugins"][0]["variant"], "plain")
        rc, out, err = self.run_host("list", "--json")
        self.assertIsNone(json.loads(out)["plugins"][0]["variant"])

    def test_no_variant_running_here_makes_the_plugin_incompatible(self):
        self.rewrite_variants([
            {"name": "gpu", "module": "fixture_good", "factory_function": "fixture_good_entry",
             "needs": {"cuda": {"compute_capability": "9.0"}}},
            {"name": "gone", "module": "fixture_gone", "factory_function": "fixture_good_entry"}])
        rc, out, err = self.run_host("list", paths=(self.parent,))
        self.assertEqual(rc, 1, err)
        self.assertIn("incompatible: plugin fixture-good: no variant runs here (gpu: needs a CUDA "
                      "device: no CUDA driver (", out)
        self.assertIn("; gone: module fixture_gone: ", out)
        rc, out, err = self.run_host("list", "--json", paths=(self.parent,))
        p = json.loads(out)["plugins"][0]
        self.assertEqual((p["status"], p["variant"]), ("incompatible", None))

    def test_check_load_tries_the_variant_a_load_would_load(self):
        # entry_point is the good module; the chosen variant's crashes in
        # its constructor, and the trial load says so.
        shutil.copy(os.path.join(FIXTURES, "ctor_crash", "fixture_ctor_crash.so"),
                    os.path.join(self.parent, "good"))
        self.rewrite_variants([
            {"name": "crashy", "module": "fixture_ctor_crash",
             "factory_function": "fixture_ctor_crash_entry"},
            {"name": "plain", "module": "fixture_good", "factory_function": "fixture_good_entry"}])
        rc, out, err = self.run_host("list", "--check-load", paths=(self.parent,))
        self.assertEqual(rc, 1, err)
        self.assertIn("crashed: ", out)
        rc, out, err = self.run_host("list", "--check-load", "--json", paths=(self.parent,))
        self.assertEqual(json.loads(out)["plugins"][0]["status"], "crashed")

    def test_a_manifest_without_variants_says_nothing_of_them(self):
        rc, out, err = self.run_host("info", "fixture-good")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("Variant", out)
        rc, out, err = self.run_host("info", "--json", "fixture-good")
        self.assertIsNone(json.loads(out)["plugin"]["variants"])


class InfoPresets(PioHostTest):
    """info lists the presets of the plugin's architecture with the figures
    the plugin computes for each through the ABI; the expected KV bytes per
    token are worked out by hand from the published configs."""

    def preset_lines(self, out):
        section = out.split("\nPresets (", 1)[1].split("\n\n", 1)[0]
        return {l.split()[0]: l for l in section.splitlines()[1:]}

    def models_dir(self, presets):
        d = os.path.join(self.tmp, "models")
        os.makedirs(d, exist_ok=True)
        for name, config in presets.items():
            with open(os.path.join(d, name + ".json"), "w") as f:
                json.dump(config, f)
        return d

    def test_llama3_1_lists_its_presets_with_kv_bytes_per_token(self):
        rc, out, err = self.run_host("info", "llama3_1")
        self.assertEqual(rc, 0, err)
        self.assertIn("KV cache bf16, tp 1", out)
        lines = self.preset_lines(out)
        # 32 layers x 8 KV heads x 128 head_dim x 2 (K and V) x 2 bytes (bf16)
        self.assertRegex(lines["llama-3.1-8b"],
                         r"^  llama-3\.1-8b +8030261248 parameters, KV cache 131072 bytes/token$")
        # 16 layers x 8 x 64 x 2 x 2
        self.assertIn("KV cache 32768 bytes/token", lines["llama-3.2-1b"])
        self.assertNotIn("deepseek-r1", lines)  # another architecture's preset

    def test_deepseek_r1_lists_its_presets_with_the_mla_latent_size(self):
        rc, out, err = self.run_host("info", "deepseek_r1")
        self.assertEqual(rc, 0, err)
        lines = self.preset_lines(out)
        # 61 layers x (512 latent + 64 rope) x 2 bytes: one latent, no separate V
        self.assertRegex(lines["deepseek-r1"], r"^  deepseek-r1 +\d+ parameters "
                                               r"\(\d+ active per token\), KV cache 70272 bytes/token$")
        self.assertNotIn("llama-3.1-8b", lines)

    def test_json_has_the_presets_with_figures(self):
        rc, out, err = self.run_host("info", "--json", "llama3_1")
        self.assertEqual(rc, 0, err)
        info = json.loads(out)["plugin"]
        self.assertEqual(info["name"], "llama3_1")
        self.assertEqual(info["status"], "ok")
        self.assertEqual(info["model_architecture"], "LlamaForCausalLM")
        self.assertIn("kv_cache", info["components"])
        self.assertTrue(info["table"]["kv_cache"])
        self.assertEqual(info["entry_point"]["module"], "pio_llama3_1")
        presets = {p["name"]: p for p in info["presets"]}
        p = presets["llama-3.1-8b"]
        self.assertEqual(p["kv_bytes_per_token"], 131072)
        self.assertEqual((p["kv_dtype"], p["tp"]), ("bf16", 1))
        self.assertEqual(p["n_params"], 8030261248)
        self.assertEqual(p["n_params_active"], 8030261248)
        self.assertIsNone(p["error"])
        self.assertTrue(p["config"].endswith("/llama-3.1-8b.json"))
        rc, out, err = self.run_host("info", "--json", "deepseek_r1")
        self.assertEqual(rc, 0, err)
        p = {p["name"]: p for p in json.loads(out)["plugin"]["presets"]}["deepseek-r1"]
        self.assertEqual(p["kv_bytes_per_token"], 70272)
        self.assertLess(p["n_params_active"], p["n_params"])  # MoE

    def test_plugin_without_presets_says_none(self):
        rc, out, _ = self.run_host("info", "fixture-good")
        self.assertEqual(rc, 0)
        self.assertIn("  none: no preset has architecture FixtureForCausalLM", out)
        rc, out, _ = self.run_host("info", "--json", "fixture-good")
        self.assertEqual(json.loads(out)["plugin"]["presets"], [])

    def test_preset_the_plugin_refuses_shows_its_reason_and_exits_0(self):
        self.env["PIO_MODELS_PATH"] = self.models_dir(
            {"bad-llama": {"architectures": ["LlamaForCausalLM"], "hidden_size": "x"}})
        rc, out, err = self.run_host("info", "llama3_1")
        self.assertEqual(rc, 0, err)  # the plugin is ok; the preset is what is wrong
        line = self.preset_lines(out)["bad-llama"]
        self.assertRegex(line, r"bad-llama +error: .*bad-llama\.json:\d+:\d+: field "
                               r"'hidden_size': expected an integer")
        self.assertIn("llama-3.1-8b", self.preset_lines(out))  # the others still there
        rc, out, _ = self.run_host("info", "--json", "llama3_1")
        p = {p["name"]: p for p in json.loads(out)["plugin"]["presets"]}["bad-llama"]
        self.assertIsNone(p["kv_bytes_per_token"])
        self.assertIn("hidden_size", p["error"])

    def test_plugin_without_config_component_says_so_per_preset(self):
        self.env["PIO_MODELS_PATH"] = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "data", "models")
        rc, out, _ = self.run_host("info", "fixture-good")
        self.assertEqual(rc, 0)
        self.assertRegex(self.preset_lines(out)["fixture-tiny"],
                         r"fixture-tiny +error: the plugin has no config component to read "
                         r".*/fixture-tiny\.json$")

    def test_plugin_crashing_on_a_preset_is_crashed_naming_it(self):
        self.env["PIO_MODELS_PATH"] = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "data", "models")
        rc, out, _ = self.run_host("info", "fixture-config-crash")
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"Status +crashed: SIGSEGV \(Segmentation fault\) while computing "
                              r"its figures for the model config .*/fixture-tiny\.json")
        rc, out, _ = self.run_host("info", "--json", "fixture-config-crash")
        self.assertEqual(rc, 1)
        info = json.loads(out)["plugin"]
        self.assertEqual(info["status"], "crashed")
        self.assertIsNone(info["presets"])
        self.assertIsNone(info["table"])

    def test_json_of_a_broken_plugin_exits_1_with_the_reason(self):
        rc, out, _ = self.run_host("info", "--json", "fixture-missing-module")
        self.assertEqual(rc, 1)
        info = json.loads(out)["plugin"]
        self.assertEqual(info["status"], "invalid")
        self.assertIn("module not found", info["reason"])
        self.assertIsNone(info["module"])
        self.assertIsNone(info["presets"])

    def test_json_escapes_nothing_raw_and_keeps_the_text(self):
        rc, out, _ = self.run_host("info", "--json", "fixture-control-chars")
        self.assertEqual(rc, 0)
        self.assert_no_raw_controls(out)
        self.assertIn("\x1b[31mred", json.loads(out)["plugin"]["description"])

    def test_info_bad_option_is_bad_usage(self):
        rc, _, err = self.run_host("info", "--bogus", "llama3_1")
        self.assertEqual(rc, 2)
        self.assertIn("Try 'pio-host info --help'", err)


class Validate(PioHostTest):
    def validate(self, fixture):
        return self.run_host("validate", os.path.join(FIXTURES, fixture))

    def test_good_plugin_validates(self):
        rc, out, _ = self.validate("good")
        self.assertEqual(rc, 0)
        self.assertTrue(out.rstrip().endswith("Result: ok"), out)

    def test_constructor_crash_is_crashed_and_pio_host_exits_1(self):
        rc, out, _ = self.validate("ctor_crash")
        self.assertEqual(rc, 1)
        self.assertIn("Result: crashed: SIGSEGV (Segmentation fault) in a constructor", out)

    def test_entry_point_crash_is_crashed(self):
        rc, out, _ = self.validate("entry_crash")
        self.assertEqual(rc, 1)
        self.assertIn("Result: crashed: SIGSEGV", out)
        self.assertIn("fixture_entry_crash_entry", out)

    def test_handshake_failures_are_failed_with_the_reason(self):
        cases = {"abi_major": "a different major is refused",
                 "small_struct": "smaller than the ABI 1.0 table",
                 "name_mismatch": "name is \"fixture-some-other-name\"",
                 "version_mismatch": "version is \"1.0.1\"",
                 "missing_symbol": "entry point fixture_not_exported not found",
                 "entry_null": "always refuses to load"}
        for fixture, reason in cases.items():
            rc, out, _ = self.validate(fixture)
            self.assertEqual(rc, 1, fixture)
            self.assertIn("Result: failed: ", out, fixture)
            self.assertIn(reason, out, fixture)

    def test_static_problems_are_reported_without_loading(self):
        for fixture, result in (("missing_module", "Result: invalid: module not found"),
                                ("invalid_json", "Result: invalid: "),
                                ("path_traversal", "Result: invalid: "),
                                ("incompatible", "Result: incompatible: ")):
            rc, out, _ = self.validate(fixture)
            self.assertEqual(rc, 1, fixture)
            self.assertIn(result, out, fixture)

    def test_folder_without_manifest_is_invalid(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        rc, out, _ = self.run_host("validate", empty)
        self.assertEqual(rc, 1)
        self.assertIn("Result: invalid: ", out)
        self.assertIn("plugin_manifest.json", out)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    PIO_HOST = os.path.abspath(sys.argv[1])
    FIXTURES = os.path.realpath(sys.argv[2])
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
