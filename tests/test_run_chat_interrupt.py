#!/usr/bin/python3
"""tests/test_run_chat_interrupt.py — Ctrl-C in `pio-host run --chat`, as a
user meets it: SIGINT during an answer stops that answer and the chat goes
on to the next turn; SIGINT at the prompt, like end of input, ends the
program with exit 0.  Driven through pipes on a small random Llama with no
EOS id (an answer runs to --max-new-tokens unless stopped) and 4096
positions.

To stop an answer at a known point whatever the machine's speed, the test
freezes pio-host (SIGSTOP) once the answer's first text has streamed,
sends SIGINT, then lets it go on (SIGCONT): the handler runs before
another token is drawn.

usage: test_run_chat_interrupt.py PIO_HOST TOKENIZER_DIR TEMPLATE_DIR SCHEMA_DIR
"""
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_llama import make as make_tiny  # noqa: E402
from test_manifest_schema import errors, schema_loader  # noqa: E402

PIO_HOST = TOKENIZERS = TEMPLATES = SCHEMA = None
MAX_NEW = 400
LONG = 4000  # with its prompt, within the model's 4096 positions


class Chat:
    """pio-host run --chat on pipes, read as it streams."""

    def __init__(self, model, max_new, *args):
        self.p = subprocess.Popen([PIO_HOST, "run", model, "--chat", "--threads", "1",
                                   "--max-new-tokens", str(max_new), *args],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.out = b""
        self.err = b""

    def say(self, line):
        self.p.stdin.write(line + b"\n")
        self.p.stdin.flush()

    def wait_until_read(self, timeout=60):
        """Until pio-host has taken all that was said from the pipe."""
        end = time.monotonic() + timeout
        while True:
            left = bytearray(4)
            fcntl.ioctl(self.p.stdin.fileno(), termios.FIONREAD, left)
            if int.from_bytes(left, sys.byteorder) == 0:
                return
            if time.monotonic() > end:
                raise AssertionError("pio-host reads no line; stderr so far %r" % self.err)
            time.sleep(0.01)

    def wait_for(self, stream, done, timeout=60):
        """Reads stdout and stderr until done(stdout or stderr so far)."""
        end = time.monotonic() + timeout
        fds = {self.p.stdout.fileno(): "out", self.p.stderr.fileno(): "err"}
        while not done(getattr(self, stream)):
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out; stdout %r stderr %r" % (self.out, self.err))
            ready, _, _ = select.select(list(fds), [], [], left)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError("pio-host ended (exit %s); stdout %r stderr %r"
                                         % (self.p.wait(), self.out, self.err))
                setattr(self, fds[fd], getattr(self, fds[fd]) + chunk)

    def interrupt(self):
        """SIGINT while frozen: taken before another token is drawn."""
        self.p.send_signal(signal.SIGSTOP)
        self.p.send_signal(signal.SIGINT)
        self.p.send_signal(signal.SIGCONT)

    def finish(self, timeout=60):
        out, err = self.p.communicate(timeout=timeout)
        self.out += out
        self.err += err
        return self.p.returncode


class ChatInterrupt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pio-test-chat-interrupt-")
        cls.model = os.path.join(cls.tmp, "small")
        make_tiny([cls.model, "--vocab", "348", "--hidden", "256", "--ffn", "1024", "--layers",
                   "8", "--heads", "8", "--kv-heads", "4", "--head-dim", "32", "--seed", "3"])
        shutil.copy(os.path.join(TOKENIZERS, "llama3_like.json"),
                    os.path.join(cls.model, "tokenizer.json"))
        template = open(os.path.join(TEMPLATES, "llama3_simple.jinja"), encoding="utf-8").read()
        with open(os.path.join(cls.model, "tokenizer_config.json"), "w") as f:
            json.dump({"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
                       "chat_template": template}, f)
        with open(os.path.join(cls.model, "generation_config.json"), "w") as f:
            json.dump({}, f)  # no EOS id: every answer runs to --max-new-tokens
        config_path = os.path.join(cls.model, "config.json")
        with open(config_path) as f:
            config = json.load(f)
        config["max_position_embeddings"] = 4096
        with open(config_path, "w") as f:
            json.dump(config, f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def generated(self, err):
        """The token counts of the answers' stderr lines."""
        return [int(line.split(b"generated ")[1].split()[0])
                for line in err.splitlines() if b"generated " in line]

    def test_ctrl_c_stops_the_answer_and_the_chat_goes_on(self):
        c = Chat(self.model, MAX_NEW)
        c.say(b"tell me a long story")
        c.wait_for("out", lambda out: len(out) > 0)  # the answer has begun to stream
        c.interrupt()
        c.wait_for("err", lambda err: b"stopped by Ctrl-C" in err)
        c.say(b"and another")
        c.wait_for("err", lambda err: err.count(b"tokens/s)") >= 4)  # both answers' timings
        self.assertEqual(c.finish(), 0, c.err)  # end of input ends it
        first, second = self.generated(c.err)
        self.assertLess(first, MAX_NEW, c.err)
        self.assertEqual(second, MAX_NEW, c.err)  # the next answer is not cut short
        self.assertIn(b"stopped at --max-new-tokens", c.err)
        self.assertEqual(c.out.count(b"\n"), 2, c.out)  # each answer ends its line

    def test_ctrl_c_at_the_prompt_ends_the_chat_with_exit_0(self):
        c = Chat(self.model, 2)
        c.say(b"hello")
        c.wait_for("err", lambda err: b"stopped at" in err)
        time.sleep(0.3)  # past the answer's end: waiting for the next line
        c.p.send_signal(signal.SIGINT)
        self.assertEqual(c.finish(), 0, c.err)
        self.assertEqual(c.out.count(b"\n"), 1, c.out)
        self.assertNotIn(b"Ctrl-C", c.err)

    def test_an_interrupted_answer_is_a_document_with_stop_interrupted(self):
        c = Chat(self.model, LONG, "--json")
        c.say(b"tell me a long story")
        # --json streams nothing: a moment after the line was read, the answer
        # is under way (its 4000 tokens take seconds)
        c.wait_until_read()
        time.sleep(0.2)
        c.interrupt()
        c.wait_for("out", lambda out: out.endswith(b"\n"))
        self.assertEqual(c.finish(), 0, c.err)
        doc = json.loads(c.out)
        self.assertEqual(list(errors(doc, SCHEMA("run.schema.json"), resolve=SCHEMA)), [])
        self.assertEqual(doc["stop"], "interrupted", doc)
        self.assertLess(len(doc["generated"]), LONG)


if __name__ == "__main__":
    PIO_HOST, TOKENIZERS, TEMPLATES = sys.argv[1:4]
    SCHEMA = schema_loader(sys.argv[4])
    unittest.main(argv=sys.argv[:1] + sys.argv[5:], verbosity=2)
