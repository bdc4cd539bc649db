#!/usr/bin/python3
"""tests/test_cli_manifest.py — what `pio-host` says about manifests: every
invalid manifest of the shared corpus listed as invalid with its
file:line:column, warnings for unknown fields, each compatibility failure
naming the field, what is needed and what this machine has, and hostile
manifests (64 MiB, 200,000 deep, duplicate keys, NUL, not UTF-8) refused
while pio-host and the other plugins carry on.  No plugin code runs: the
module files here are empty, which listing never loads.

usage: test_cli_manifest.py PIO_HOST CORPUS_DIR
"""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import unittest

PIO_HOST = None
CORPUS = None


def good_manifest(name):
    with open(os.path.join(CORPUS, "valid", "minimal.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["name"] = name
    return manifest


class ManifestCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pio-test-cli-manifest-")
        os.chmod(self.tmp, 0o755)
        self.path = os.path.join(self.tmp, "plugins")
        os.mkdir(self.path, 0o755)
        self.env = dict(os.environ)
        self.env.pop("PIO_PLUGIN_PATH", None)
        self.env["XDG_DATA_HOME"] = os.path.join(self.tmp, "data")
        self.env["XDG_CACHE_HOME"] = os.path.join(self.tmp, "cache")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def plugin(self, folder, manifest=None, raw=None, module="tiny"):
        """A plugin folder holding manifest (an object) or raw bytes, and an
        empty module file so that listing reaches the compatibility checks."""
        d = os.path.join(self.path, folder)
        os.mkdir(d, 0o755)
        with open(os.path.join(d, "plugin_manifest.json"), "wb") as f:
            f.write(raw if raw is not None else json.dumps(manifest, indent=2).encode())
        if module:
            open(os.path.join(d, module + ".so"), "wb").close()
            os.chmod(os.path.join(d, module + ".so"), 0o755)
        return d

    def host(self, *args):
        argv = [PIO_HOST, args[0], "--plugin-path", self.path, "--no-cache"] + list(args[1:])
        proc = subprocess.run(argv, env=self.env, capture_output=True, timeout=120)
        self.assertGreaterEqual(proc.returncode, 0, "pio-host died on a signal")
        return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")

    def listed(self):
        rc, out, err = self.host("list", "--json")
        listed = json.loads(out)["plugins"]
        problems = ("invalid", "incompatible", "failed", "crashed")
        self.assertEqual(rc, 1 if any(p["status"] in problems for p in listed) else 0, err)
        return {os.path.basename(p["dir"]): p for p in listed if p["dir"].startswith(self.path)}

    def manifest_path(self, folder):
        return os.path.join(self.path, folder, "plugin_manifest.json")

    # ---- validation ----

    def test_every_invalid_corpus_manifest_is_listed_invalid_with_its_position(self):
        folder = os.path.join(CORPUS, "invalid")
        names = sorted(n[:-5] for n in os.listdir(folder) if n.endswith(".json"))
        self.assertGreaterEqual(len(names), 20)
        for name in names:
            with open(os.path.join(folder, name + ".json"), "rb") as f:
                self.plugin(name, raw=f.read(), module=None)
        plugins = self.listed()
        for name in names:
            p = plugins[name]
            self.assertEqual(p["status"], "invalid", name)
            self.assertRegex(p["reason"], "^" + self.manifest_path(name) + r":\d+:\d+: ", name)

    def test_missing_required_field_fails_validate_with_its_name(self):
        manifest = good_manifest("tiny")
        del manifest["entry_point"]["factory_function"]
        d = self.plugin("tiny", manifest)
        rc, out, _ = self.host("validate", d)
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"Result: invalid: .*plugin_manifest\.json:\d+:\d+: "
                              r"entry_point\.factory_function: missing required field")

    def test_unknown_fields_are_warnings_and_the_plugin_stays_listed(self):
        manifest = good_manifest("tiny")
        manifest["colour"] = "red"
        manifest["compatibility"]["gpu"] = "any"
        self.plugin("tiny", manifest)
        p = self.listed()["tiny"]
        self.assertNotEqual(p["status"], "invalid", p["reason"])
        self.assertEqual(len(p["warnings"]), 2)
        self.assertTrue(any('unknown field "compatibility.gpu" ignored' in w for w in p["warnings"]))
        self.assertTrue(all(w.startswith(self.manifest_path("tiny") + ":") for w in p["warnings"]))
        rc, out, _ = self.host("info", "tiny")
        self.assertIn('unknown field "colour" ignored', out)

    def test_unknown_field_with_terminal_escapes_is_shown_escaped(self):
        manifest = good_manifest("tiny")
        manifest["evil\x1b]0;owned\x07"] = 1
        self.plugin("tiny", manifest)
        for args in (("list",), ("info", "tiny"), ("list", "--json")):
            _, out, _ = self.host(*args)
            self.assertNotIn("\x1b", out)
            self.assertNotIn("\x07", out)

    # ---- compatibility ----

    def reason_of(self, folder):
        p = self.listed()[folder]
        self.assertEqual(p["status"], "incompatible", p["reason"])
        return p["reason"]

    def test_missing_cpu_feature_names_need_and_have(self):
        foreign = "sve2" if platform.machine() in ("x86_64", "i686") else "avx2"
        manifest = good_manifest("tiny")
        manifest["compatibility"]["cpu_features"] = [foreign]
        self.plugin("tiny", manifest)
        self.assertIn("compatibility.cpu_features: needs %s, this machine's CPU has " % foreign,
                      self.reason_of("tiny"))

    def test_memory_too_small_names_need_and_have(self):
        manifest = good_manifest("tiny")
        manifest["compatibility"]["min_memory_gb"] = 1048576
        self.plugin("tiny", manifest)
        self.assertRegex(self.reason_of("tiny"), r"compatibility\.min_memory_gb: needs 1048576 GiB "
                                                 r"of memory, this machine has [\d.]+ GiB")

    def test_abi_range_excluding_this_host_names_need_and_have(self):
        manifest = good_manifest("tiny")
        manifest["compatibility"]["abi"] = {"min": "99.0"}
        self.plugin("tiny", manifest)
        self.assertRegex(self.reason_of("tiny"), r"compatibility\.abi: needs pio ABI 99\.0 to "
                                                 r"99\.x, this host has ABI \d+\.\d+")

    def test_incompatible_plugin_fails_validate(self):
        manifest = good_manifest("tiny")
        manifest["compatibility"]["os"] = ["darwin" if sys.platform.startswith("linux") else "linux"]
        d = self.plugin("tiny", manifest)
        rc, out, _ = self.host("validate", d)
        self.assertEqual(rc, 1)
        self.assertIn("Result: incompatible: ", out)
        self.assertIn("compatibility.os: needs one of ", out)

    # ---- hostile files ----

    def test_hostile_manifests_are_invalid_and_the_rest_still_listed(self):
        self.plugin("ok", good_manifest("ok"))
        self.plugin("dup", raw=b'{"name": "a",\n "name": "b"}', module=None)
        self.plugin("nul", raw=b'{"name": "a\x00"}', module=None)
        self.plugin("latin1", raw=b'{"name": "caf\xe9"}', module=None)
        self.plugin("empty", raw=b"", module=None)
        self.plugin("deep", raw=b"[" * 200000, module=None)
        big = self.plugin("big", raw=b'{"name": "', module=None)
        with open(os.path.join(big, "plugin_manifest.json"), "r+b") as f:
            f.truncate(64 << 20)  # sparse: no disk used
        plugins = self.listed()
        self.assertEqual(plugins["ok"]["status"], "ok", plugins["ok"]["reason"])
        expected = {
            "dup": ':2:2: invalid JSON: duplicate key "name" (its first value is at line 1, column 10)',
            "nul": ":1:12: invalid JSON: NUL byte",
            "latin1": "not valid UTF-8",
            "empty": ":1:1: invalid JSON: the document is empty",
            "deep": "nested deeper than the limit of 32 levels",
            "big": "file is 67108864 bytes, over the limit of 1048576 bytes",
        }
        for folder, text in expected.items():
            self.assertEqual(plugins[folder]["status"], "invalid", folder)
            self.assertIn(text, plugins[folder]["reason"], folder)


def main():
    global PIO_HOST, CORPUS
    PIO_HOST, CORPUS = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)


if __name__ == "__main__":
    main()
