#!/usr/bin/python3
"""tests/test_run_text.py — `pio-host run --prompt/--chat` end to end on a
tiny random Llama whose folder holds a tokenizer.json of
tests/data/tokenizers, a chat template and generation_config.json: the
streamed text is the decode of the ids `--tokens` generates, generation
stops at an EOS id, the same seed gives the same text, a chat reuses its
KV cache between turns, bad options exit 2; with --json one document
(docs/json/run.schema.json) holding the text instead of the stream, one a
turn for --chat, and errors as documents.

usage: test_run_text.py PIO_HOST TOKENIZER_DIR TEMPLATE_DIR SCHEMA_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_llama import make as make_tiny  # noqa: E402
from test_manifest_schema import errors, schema_loader  # noqa: E402

PIO_HOST = TOKENIZERS = TEMPLATES = SCHEMA = None
TOKENIZER = "llama3_like.json"  # 346 model tokens + <|begin_of_text|> 346, <|eot_id|> 347


class RunText(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pio-test-run-text-")
        cls.model = os.path.join(cls.tmp, "tiny")
        make_tiny([cls.model, "--vocab", "348", "--seed", "3"])
        shutil.copy(os.path.join(TOKENIZERS, TOKENIZER), os.path.join(cls.model, "tokenizer.json"))
        template = open(os.path.join(TEMPLATES, "llama3_simple.jinja"), encoding="utf-8").read()
        with open(os.path.join(cls.model, "tokenizer_config.json"), "w") as f:
            json.dump({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": template}, f)
        cls.set_eos([347])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    @classmethod
    def set_eos(cls, ids, extra=None):
        cfg = {"eos_token_id": ids}
        cfg.update(extra or {})
        with open(os.path.join(cls.model, "generation_config.json"), "w") as f:
            json.dump(cfg, f)

    def run_host(self, *args, stdin=b""):
        return subprocess.run([PIO_HOST, *args], input=stdin, capture_output=True, timeout=120)

    def ids_of(self, text):
        r = self.run_host("tokenize", self.model, "--add-special", "--text", text)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode().strip()

    def test_prompt_streams_the_decode_of_the_generated_ids(self):
        prompt = "The quick brown fox"
        r = self.run_host("run", self.model, "--tokens", self.ids_of(prompt), "--max-new-tokens", "10")
        self.assertEqual(r.returncode, 0, r.stderr)
        ids = [int(x) for x in r.stdout.decode().split(",")]
        kept = []
        for i in ids:  # the text stops where an EOS id would be drawn
            if i == 347:
                break
            kept.append(i)
        d = self.run_host("detokenize", self.model, "--skip-special", "--ids", ",".join(map(str, kept)) or "346")
        self.assertEqual(d.returncode, 0, d.stderr)
        t = self.run_host("run", self.model, "--prompt", prompt, "--max-new-tokens", "10", "--temperature", "0")
        self.assertEqual(t.returncode, 0, t.stderr)
        self.assertEqual(t.stdout.decode("utf-8", "replace"), d.stdout.decode("utf-8", "replace") + "\n")
        self.assertIn(b"prompt 8 tokens", t.stderr)
        self.assertIn(b"tokens/s", t.stderr)

    def test_generation_stops_at_an_eos_id(self):
        r = self.run_host("run", self.model, "--tokens", self.ids_of("Hello world"), "--max-new-tokens", "4")
        first = r.stdout.decode().split(",")[0]
        try:
            self.set_eos([int(first)])
            t = self.run_host("run", self.model, "--prompt", "Hello world", "--max-new-tokens", "4")
            self.assertEqual(t.returncode, 0, t.stderr)
            self.assertEqual(t.stdout, b"\n")
            self.assertIn(b"generated 0 tokens", t.stderr)
            self.assertIn(b"stopped at EOS", t.stderr)
        finally:
            self.set_eos([347])

    def test_the_same_seed_gives_the_same_text(self):
        args = ["run", self.model, "--prompt", "It's 2024", "--max-new-tokens", "24", "--temperature", "1.5",
                "--top-k", "40", "--top-p", "0.95", "--min-p", "0.01", "--repeat-penalty", "1.1"]
        a = self.run_host(*args, "--seed", "11")
        b = self.run_host(*args, "--seed", "11")
        c = self.run_host(*args, "--seed", "12")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertNotEqual(a.stdout, c.stdout)
        self.assertIn(b"temperature 1.5, top-k 40, top-p 0.95, min-p 0.01, seed 11", a.stderr)

    def test_sampling_defaults_come_from_generation_config(self):
        try:
            self.set_eos([347], {"do_sample": True, "temperature": 0.7, "top_p": 0.8})
            r = self.run_host("run", self.model, "--prompt", "x", "--max-new-tokens", "2")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"temperature 0.7, top-k 50, top-p 0.8", r.stderr)
            r = self.run_host("run", self.model, "--prompt", "x", "--max-new-tokens", "2", "--temperature", "0")
            self.assertIn(b"sampling: greedy", r.stderr)
        finally:
            self.set_eos([347])

    def test_chat_keeps_the_cache_between_turns(self):
        r = self.run_host("run", self.model, "--chat", "--max-new-tokens", "0", "--system", "Be brief.",
                          stdin=b"hello\n\nand again\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stderr.decode().splitlines() if "prompt" in l]
        self.assertEqual(len(lines), 2, r.stderr)
        self.assertIn("(0 from the cache)", lines[0])
        first = int(lines[0].split("prompt ")[1].split(" ")[0])
        self.assertIn("(%d from the cache)" % first, lines[1])
        rendered = self.run_host("template", self.model, "--messages", "-", "--add-generation-prompt",
                                 stdin=json.dumps([{"role": "system", "content": "Be brief."},
                                                   {"role": "user", "content": "hello"}]).encode())
        ids = self.run_host("tokenize", self.model, stdin=rendered.stdout).stdout.decode().strip().split(",")
        self.assertEqual(first, len(ids))

    def test_chat_keeps_its_answers_in_the_cache(self):
        # the ids drawn stay in the cache: the next turn prefills only what the
        # rendering adds after them (re-encoding the answer's text can give other
        # ids, which would empty the cache)
        r = self.run_host("run", self.model, "--chat", "--json", "--max-new-tokens", "8",
                          stdin=b"hello\nand again\nthird\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [self.document(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual(len(docs), 3)
        for before, after in zip(docs, docs[1:]):
            run = len(before["generated"]) - (before["stop"] == "max_new_tokens")
            self.assertGreater(run, 0)
            self.assertEqual(after["cached_tokens"], before["prompt_tokens"] + run)

    def test_chat_whose_template_rewrites_the_past_starts_over(self):
        d = os.path.join(self.tmp, "forgetful")
        shutil.copytree(self.model, d)
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:  # only the last message
            json.dump({"bos_token": "<|begin_of_text|>", "chat_template":
                       "{% for m in messages %}{% if loop.last %}{{ bos_token + m['content'] }}"
                       "{% endif %}{% endfor %}"}, f)
        r = self.run_host("run", d, "--chat", "--json", "--max-new-tokens", "3",
                          stdin=b"hello\nand again\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [self.document(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual([d["cached_tokens"] for d in docs], [0, 0])
        alone = self.run_host("run", d, "--chat", "--json", "--max-new-tokens", "3",
                              stdin=b"and again\n")
        self.assertEqual(json.loads(alone.stdout)["generated"], docs[1]["generated"])

    def test_chat_typed_at_a_terminal_shows_where_a_turn_goes(self):
        master, slave = os.openpty()
        p = subprocess.Popen([PIO_HOST, "run", self.model, "--chat", "--max-new-tokens", "2"],
                             stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        os.write(master, b"hello\n\x04")  # a line, then end of input (^D)
        out, err = p.communicate(timeout=120)
        os.close(master)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(err.count(b"> "), 2, err)  # before the turn and before the end
        self.assertNotIn(b"> ", out)
        r = self.run_host("run", self.model, "--chat", "--max-new-tokens", "2", stdin=b"hello\n")
        self.assertNotIn(b"> ", r.stderr)  # not when stdin is a pipe

    def test_chat_streams_each_answer(self):
        r = self.run_host("run", self.model, "--chat", "--max-new-tokens", "5", stdin=b"one\ntwo\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count(b"\n"), 2)

    def test_bad_usage_exits_2(self):
        for args in (["--prompt", "x", "--chat"], ["--prompt", "x", "--tokens", "1"], [],
                     ["--prompt", "x", "--temperature", "-1"], ["--prompt", "x", "--top-p", "0"],
                     ["--prompt", "x", "--seed", "abc"], ["--chat", "--dump-logits", "/tmp/x"]):
            r = self.run_host("run", self.model, *args)
            self.assertEqual(r.returncode, 2, args)

    def test_sampling_values_are_read_whole_and_refusals_name_the_range(self):
        for option, value, message in (
                ("--temperature", "1e30", "--temperature: expected a number from 0 (greedy) to "
                                          "1000000, found '1e30'"),
                ("--repeat-penalty", "1e30", "--repeat-penalty: expected a number above 0 "
                                             "(1: off) up to 1000000, found '1e30'"),
                ("--top-k", "1e3", "--top-k: expected a whole number from 0 (off) to "
                                   "1000000000, found '1e3'"),
                ("--top-k", "5.0", "found '5.0'"), ("--top-k", " 5", "found ' 5'"),
                ("--top-k", "0x10", "found '0x10'"),
                ("--temperature", " 0.5", "found ' 0.5'"), ("--temperature", "0x1", "found '0x1'"),
                ("--min-p", "+0.1", "found '+0.1'"),
                ("--seed", " 5", "--seed: expected a whole number, found ' 5'"),
                ("--seed", "+5", "--seed: expected a whole number, found '+5'")):
            with self.subTest(option=option, value=value):
                r = self.run_host("run", self.model, "--prompt", "x", option, value)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(message.encode(), r.stderr)

    def test_a_prompt_of_many_bytes_but_few_tokens_fits(self):
        # 600 bytes, 123 tokens (BOS too): the KV cache is sized within the model's 512 positions
        r = self.run_host("run", self.model, "--prompt", "the quick " * 60, "--max-new-tokens", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"prompt 123 tokens", r.stderr)
        r = self.run_host("run", self.model, "--prompt", "hello world " * 200, "--max-new-tokens", "2")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"over the KV cache of 512", r.stderr)

    def test_a_preset_has_no_tokenizer(self):
        r = self.run_host("run", "llama-3.2-1b", "--synthetic", "--prompt", "hi", "--max-new-tokens", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"need a Hugging Face model folder", r.stderr)

    def test_synthetic_weights_with_a_folder_still_read_its_tokenizer(self):
        r = self.run_host("run", self.model, "--synthetic", "--prompt", "hi", "--max-new-tokens", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"generated", r.stderr)

    def without_tokenizer(self):
        d = os.path.join(self.tmp, "no-tokenizer")
        if not os.path.isdir(d):
            shutil.copytree(self.model, d)
            os.unlink(os.path.join(d, "tokenizer.json"))
        return d

    def test_missing_tokenizer_is_named(self):
        r = self.run_host("run", self.without_tokenizer(), "--prompt", "x")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"tokenizer.json", r.stderr)

    def test_text_mistakes_are_found_before_the_weights_are_read(self):
        d = os.path.join(self.tmp, "no-weights")
        if not os.path.isdir(d):
            shutil.copytree(self.model, d)
            os.unlink(os.path.join(d, "model.safetensors"))
        for args, named in ((["--system", "a\udcffb", "--chat"], "--system: the text is not UTF-8"),
                            (["--prompt", "a\udcffb"], "--prompt: the text is not UTF-8")):
            r = self.run_host("run", d, *args, stdin=b"hi\n")
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(named.encode(), r.stderr)
        shutil.copy(os.path.join(self.model, "tokenizer_config.json"), d)
        with open(os.path.join(d, "tokenizer_config.json"), "a") as f:
            f.write("{")  # no longer JSON
        r = self.run_host("run", d, "--chat", stdin=b"hi\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"tokenizer_config.json", r.stderr)

    def document(self, text, schema_name="run.schema.json"):
        doc = json.loads(text)
        self.assertEqual(list(errors(doc, SCHEMA(schema_name), resolve=SCHEMA)), [], text)
        self.assertEqual(doc["document"], "pio-host run")
        return doc

    def test_prompt_json_is_one_document_holding_the_text(self):
        args = ["run", self.model, "--prompt", "The quick brown fox", "--max-new-tokens", "6",
                "--temperature", "0.9", "--seed", "5"]
        streamed = self.run_host(*args)
        r = self.run_host(*args, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = self.document(r.stdout.decode())
        self.assertEqual(doc["text"] + "\n", streamed.stdout.decode("utf-8", "replace"))
        self.assertEqual(doc["prompt"], "The quick brown fox")
        self.assertEqual((doc["prompt_tokens"], doc["cached_tokens"]), (8, 0))
        self.assertEqual((doc["sampling"]["temperature"], doc["sampling"]["seed"]), (0.9, 5))
        self.assertEqual(doc["stop"], "eos" if len(doc["generated"]) < 6 else "max_new_tokens")
        if doc["generated"]:
            d = self.run_host("detokenize", self.model, "--skip-special", "--ids",
                              ",".join(map(str, doc["generated"])))
            self.assertEqual(d.stdout.decode("utf-8", "replace"), doc["text"])
        self.assertNotIn(b"tokens/s", r.stderr)  # the timings are in the document

    def test_chat_json_writes_a_document_a_turn(self):
        r = self.run_host("run", self.model, "--chat", "--json", "--max-new-tokens", "0",
                          stdin=b"hello\nand again\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        docs = [self.document(line) for line in r.stdout.decode().splitlines()]
        self.assertEqual([(d["turn"], d["user"]) for d in docs], [(1, "hello"), (2, "and again")])
        self.assertEqual(docs[0]["cached_tokens"], 0)
        self.assertEqual(docs[1]["cached_tokens"], docs[0]["prompt_tokens"])

    def test_json_errors_are_documents(self):
        r = self.run_host("run", self.without_tokenizer(), "--prompt", "x", "--json")
        self.assertEqual(r.returncode, 1)
        doc = self.document(r.stdout.decode(), "error.schema.json")
        self.assertIn("tokenizer.json", doc["error"]["message"])

    def test_help_describes_text_runs(self):
        r = self.run_host("--help")
        line = [l for l in r.stdout.decode().splitlines() if l.strip().startswith("run ")][0]
        self.assertIn("text", line)
        self.assertNotIn("greedily", line)


if __name__ == "__main__":
    PIO_HOST, TOKENIZERS, TEMPLATES = sys.argv[1:4]
    SCHEMA = schema_loader(sys.argv[4])
    unittest.main(argv=sys.argv[:1] + sys.argv[5:], verbosity=1)
