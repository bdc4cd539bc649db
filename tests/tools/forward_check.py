"""tests/tools/forward_check.py — a plugin's forward pass against a PyTorch
reference, end to end through `pio-host run`, for the forward tests of any
family: the prompt's logits dumped (--dump-logits) and compared with the
reference's within a tolerance of max |logit|, then the greedy tokens of
both for a number of steps, equal (or, at reduced precision, equal until
two logits closer than the tolerance part them)."""
import os
import subprocess

import numpy as np


def run(pio_host, *args):
    """(exit status, stdout, stderr) of pio-host run ARGS."""
    proc = subprocess.run([pio_host, "run", "--no-cache", *args], capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def pio_logits(test, pio_host, folder, prompt, steps, *extra):
    """(logits of the prompt as a flat array, the steps greedy tokens)."""
    dump = os.path.join(folder, "logits.bin")
    rc, out, err = run(pio_host, folder, "--tokens", ",".join(map(str, prompt)),
                       "--max-new-tokens", str(steps), "--dump-logits", dump, *extra)
    test.assertEqual(rc, 0, err)
    # Every field of the tests' configs is one the plugin reads (its
    # pio_config_api.fields): a warning here is a field it ignores.
    test.assertNotIn("does not read field", err)
    tokens = [int(t) for t in out.strip().split(",")] if steps else []
    return np.fromfile(dump, dtype="<f4"), tokens


def check(test, pio_host, folder, ref, prompt, steps, tolerance, exact_tokens=True, extra=()):
    """Asserts pio's logits and greedy tokens against ref (logits, greedy)."""
    logits, tokens = pio_logits(test, pio_host, folder, prompt, steps, *extra)
    want = ref.logits(prompt)
    test.assertEqual(logits.size, want.size, "dump holds [n_prompt][vocab] floats")
    logits = logits.reshape(want.shape)
    scale = float(np.abs(want).max())
    diff = float(np.abs(logits - want).max())
    test.assertLessEqual(diff, tolerance * scale,
                         f"max |pio - reference| = {diff:g}, max |logit| = {scale:g}")
    want_tokens, rows = ref.greedy(prompt, steps)
    test.assertEqual(len(tokens), steps)
    for step, (got, expected) in enumerate(zip(tokens, want_tokens)):
        if got == expected:
            continue
        # A reduced-precision run may pick the other of two logits closer
        # than its rounding; the sequences then part, so stop here.
        gap = float(rows[step][expected] - rows[step][got])
        test.assertFalse(exact_tokens, f"step {step}: pio chose {got}, reference {expected}")
        test.assertLessEqual(gap, tolerance * scale,
                             f"step {step}: pio chose {got}, reference {expected}, "
                             f"logit gap {gap:g} is beyond the tolerance")
        break
