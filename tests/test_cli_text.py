#!/usr/bin/python3
"""tests/test_cli_text.py — the text commands end to end: `pio-host tokenize`
and `detokenize` on the small tokenizers of tests/data/tokenizers (ids as
Hugging Face gives them, read from expected.jsonl), their input forms
(--text, stdin, --jsonl, --json), special tokens, bad input and bad
usage; `pio-bench tokenize` on a small text.

usage: test_cli_text.py PIO_HOST PIO_BENCH TOKENIZER_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

PIO_HOST = PIO_BENCH = DATA = None


def expected(tokenizer, text, add_special=False):
    with open(os.path.join(DATA, "expected.jsonl"), encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e["tokenizer"] == tokenizer and e["text"] == text and e["add_special"] == add_special:
                return e
    raise KeyError((tokenizer, text))


class TextCommands(unittest.TestCase):
    def run_host(self, *args, stdin=b""):
        return subprocess.run([PIO_HOST, *args], input=stdin, capture_output=True, timeout=60)

    def tok(self, name):
        return os.path.join(DATA, name)

    def test_tokenize_text_gives_hugging_face_ids(self):
        e = expected("llama3_like.json", "The quick brown fox")
        r = self.run_host("tokenize", self.tok("llama3_like.json"), "--text", "The quick brown fox")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), ",".join(map(str, e["ids"])) + "\n")

    def test_tokenize_folder_reads_its_tokenizer_json(self):
        with tempfile.TemporaryDirectory() as d:
            with open(self.tok("gpt2_like.json"), "rb") as src, open(os.path.join(d, "tokenizer.json"), "wb") as dst:
                dst.write(src.read())
            e = expected("gpt2_like.json", "Hello world!")
            r = self.run_host("tokenize", d, stdin="Hello world!".encode())
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.decode().strip(), ",".join(map(str, e["ids"])))

    def test_add_special_applies_the_post_processor(self):
        e = expected("spm_like.json", "Hello world!", True)
        r = self.run_host("tokenize", self.tok("spm_like.json"), "--text", "Hello world!", "--add-special")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().strip(), ",".join(map(str, e["ids"])))
        self.assertEqual(e["ids"][0], 1)

    def test_jsonl_one_array_a_line(self):
        texts = ["The fox", "caf\u00e9 na\u00efve \u00fcber stra\u00dfe", ""]
        stdin = "".join(json.dumps(t) + "\n" for t in texts).encode()
        r = self.run_host("tokenize", self.tok("llama3_like.json"), "--jsonl", stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(json.loads(lines[1]), expected("llama3_like.json", texts[1])["ids"])
        self.assertEqual(json.loads(lines[2]), [])

    def test_json_document_names_the_tokens(self):
        r = self.run_host("tokenize", self.tok("gpt2_like.json"), "--text", "Hello world", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc["ids"]), len(doc["tokens"]))
        self.assertIn("\u0120world", doc["tokens"])  # "Ġworld"

    def test_detokenize_round_trip_and_special_tokens(self):
        e = expected("llama3_like.json", "<|begin_of_text|>The fox<|eot_id|>")
        ids = ",".join(map(str, e["ids"]))
        r = self.run_host("detokenize", self.tok("llama3_like.json"), "--ids", ids)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), e["decoded"])
        r = self.run_host("detokenize", self.tok("llama3_like.json"), "--skip-special", stdin=ids.encode())
        self.assertEqual(r.stdout.decode(), "The fox")

    def test_detokenize_jsonl(self):
        a = expected("spm_like.json", "Hello world!")
        b = expected("spm_like.json", "emoji \U0001F600 \U0001F44D\U0001F3FD")
        stdin = (json.dumps(a["ids"]) + "\n" + json.dumps(b["ids"]) + "\n").encode()
        r = self.run_host("detokenize", self.tok("spm_like.json"), "--jsonl", stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([json.loads(l) for l in r.stdout.decode().splitlines()], [a["decoded"], b["decoded"]])

    def test_invalid_utf8_is_refused(self):
        r = self.run_host("tokenize", self.tok("gpt2_like.json"), stdin=b"ok \xff no")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"not UTF-8: byte 3", r.stderr)
        self.assertEqual(r.stdout, b"")

    def test_bad_jsonl_line_is_named(self):
        r = self.run_host("tokenize", self.tok("gpt2_like.json"), "--jsonl", stdin=b'"a"\n[1]\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"stdin:2: expected a JSON string", r.stderr)
        r = self.run_host("detokenize", self.tok("gpt2_like.json"), "--jsonl", stdin=b'[1]\n"a"\n')
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"stdin:2: expected a JSON array", r.stderr)

    def test_unknown_id_is_refused(self):
        r = self.run_host("detokenize", self.tok("gpt2_like.json"), "--ids", "1,99999")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"token 1: id 99999 is not in the vocabulary", r.stderr)

    def test_bad_tokenizer_file_is_named(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"model": {"type": "WordPiece", "vocab": {}}}')
        try:
            r = self.run_host("tokenize", f.name, "--text", "x")
            self.assertEqual(r.returncode, 1)
            self.assertIn(f.name.encode(), r.stderr)
            self.assertIn(b"model.type", r.stderr)
        finally:
            os.unlink(f.name)
        r = self.run_host("tokenize", "/nonexistent-model", "--text", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"/nonexistent-model/tokenizer.json", r.stderr)

    def test_bad_usage_exits_2(self):
        for args in (["tokenize"], ["tokenize", "a", "b"], ["tokenize", self.tok("gpt2_like.json"), "--bogus"],
                     ["tokenize", self.tok("gpt2_like.json"), "--jsonl", "--text", "x"],
                     ["detokenize", self.tok("gpt2_like.json"), "--ids", "1,,2"], ["detokenize"]):
            r = self.run_host(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(b"--help", r.stderr)
        for cmd in ("tokenize", "detokenize"):
            r = self.run_host(cmd, "--help")
            self.assertEqual(r.returncode, 0)
            self.assertIn(b"Usage: pio-host " + cmd.encode(), r.stdout)


class TemplateCommand(unittest.TestCase):
    """pio-host template against Transformers' renderings (expected.json)."""

    def folder(self, d, template, in_config):
        source = open(os.path.join(DATA, "..", "templates", template), encoding="utf-8").read()
        config = {"bos_token": {"content": "<s>", "special": True}, "eos_token": "</s>"}
        if in_config:
            config["chat_template"] = source
        else:
            with open(os.path.join(d, "chat_template.jinja"), "w", encoding="utf-8") as f:
                f.write(source)
        with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)

    def expected(self, template, case):
        for e in json.load(open(os.path.join(DATA, "..", "templates", "expected.json"), encoding="utf-8")):
            if e["template"] == template and e["case"] == case:
                return e
        raise KeyError((template, case))

    def case(self, name):
        for c in json.load(open(os.path.join(DATA, "..", "templates", "cases.json"), encoding="utf-8")):
            if c["name"] == name:
                return c
        raise KeyError(name)

    def render(self, d, case, *extra):
        c = self.case(case)
        msgs = os.path.join(d, "messages.json")
        with open(msgs, "w", encoding="utf-8") as f:
            json.dump(c["messages"], f)
        args = ["template", d, "--messages", msgs]
        if c.get("add_generation_prompt"):
            args.append("--add-generation-prompt")
        for k, v in c.get("vars", {}).items():
            if k not in ("bos_token", "eos_token"):
                args += ["--var", "%s=%s" % (k, json.dumps(v))]
        if "tools" in c:
            tools = os.path.join(d, "tools.json")
            with open(tools, "w") as f:
                json.dump(c["tools"], f)
            args += ["--tools", tools]
        return subprocess.run([PIO_HOST, *args, *extra], capture_output=True, timeout=60)

    def test_renders_as_transformers_from_either_file(self):
        for in_config in (True, False):
            for template, case in (("qwen3.jinja", "tool_calls"), ("llama3_1.jinja", "tools"),
                                   ("mistral_v0_3.jinja", "chat")):
                with tempfile.TemporaryDirectory() as d:
                    self.folder(d, template, in_config)
                    c = self.case(case)
                    if c["vars"].get("bos_token") != "<s>":
                        continue
                    r = self.render(d, case)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stdout.decode(), self.expected(template, case)["prompt"])

    def test_raise_exception_is_an_error_with_its_message(self):
        with tempfile.TemporaryDirectory() as d:
            self.folder(d, "mistral_v0_3.jinja", True)
            r = self.render(d, "not_alternating")
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"conversation roles must alternate", r.stderr)
            self.assertIn(b"tokenizer_config.json: chat_template:", r.stderr)
            self.assertEqual(r.stdout, b"")

    def test_missing_template_and_bad_messages(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
                f.write("{}")
            msgs = os.path.join(d, "m.json")
            with open(msgs, "w") as f:
                f.write("[]")
            r = subprocess.run([PIO_HOST, "template", d, "--messages", msgs], capture_output=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"no chat_template", r.stderr)
            self.folder(d, "qwen3.jinja", True)
            with open(msgs, "w") as f:
                f.write('{"role": "user"}')
            r = subprocess.run([PIO_HOST, "template", d, "--messages", msgs], capture_output=True)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"expected a JSON list", r.stderr)
            r = subprocess.run([PIO_HOST, "template", d], capture_output=True)
            self.assertEqual(r.returncode, 2)
            r = subprocess.run([PIO_HOST, "template", d, "--messages", msgs, "--var", "novalue"], capture_output=True)
            self.assertEqual(r.returncode, 2)


class TokenizeBench(unittest.TestCase):
    def test_bench_counts_the_tokens_and_checks_reference_ids(self):
        text = ("The quick brown fox jumps over the lazy dog.\n\nIt's 2024, caf\u00e9!\n\n" * 50).encode()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "text.txt")
            with open(path, "wb") as f:
                f.write(text)
            tok = os.path.join(DATA, "llama3_like.json")
            paragraphs = text.decode().split("\n\n")
            parts = [p + "\n\n" for p in paragraphs[:-1]] + ([paragraphs[-1]] if paragraphs[-1] else [])
            stdin = "".join(json.dumps(p) + "\n" for p in parts).encode()
            ids = subprocess.run([PIO_HOST, "tokenize", tok, "--jsonl"], input=stdin,
                                 capture_output=True, check=True).stdout.decode().splitlines()
            ref = os.path.join(d, "ref.txt")
            with open(ref, "w") as f:
                f.write("".join(",".join(map(str, json.loads(l))) + "\n" for l in ids))
            r = subprocess.run([PIO_BENCH, "tokenize", tok, "--text", path, "--repeat", "2", "--json",
                                "--reference-ids", ref], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            doc = json.loads(r.stdout)
            self.assertEqual(doc["tokens"], sum(len(json.loads(l)) for l in ids))
            self.assertEqual(doc["documents"], len(parts))
            self.assertTrue(doc["reference_ids_identical"])
            self.assertGreater(doc["read_mb_per_s"], doc["encode_mb_per_s"])
            # a reference that differs fails the run
            with open(ref, "w") as f:
                f.write("1,2,3\n")
            r = subprocess.run([PIO_BENCH, "tokenize", tok, "--text", path, "--repeat", "1",
                                "--reference-ids", ref], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"DIFFER", r.stdout)

    def test_bench_text_that_is_a_folder_is_refused(self):
        # fread of a folder fails (EISDIR): not an empty text measured at 0 MB/s
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([PIO_BENCH, "tokenize", os.path.join(DATA, "llama3_like.json"),
                                "--text", d, "--repeat", "1"], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(f"--text {d}: Is a directory".encode(), r.stderr)
            self.assertEqual(r.stdout, b"")

    def test_bench_reference_ids_that_cannot_be_read_are_not_a_difference(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "text.txt")
            with open(path, "w") as f:
                f.write("hello\n")
            r = subprocess.run([PIO_BENCH, "tokenize", os.path.join(DATA, "llama3_like.json"),
                                "--text", path, "--repeat", "1", "--reference-ids", d],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(f"--reference-ids {d}: Is a directory".encode(), r.stderr)
            self.assertNotIn(b"DIFFER", r.stdout)


if __name__ == "__main__":
    PIO_HOST, PIO_BENCH, DATA = sys.argv[1:4]
    unittest.main(argv=sys.argv[:1] + sys.argv[4:], verbosity=1)
