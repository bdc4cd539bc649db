"""tests/tools/bench_cli.py — running pio-bench as a user does, for the
tests that drive it: one command with the test's environment, its exit
status checked, and `kv --json` read back."""
import json
import os
import subprocess


def run(bench, *args, env=None, check_rc=None):
    """pio-bench ARGS with os.environ plus env; the exit status must be
    check_rc when given."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run([bench, *args], capture_output=True, text=True, env=full_env, timeout=600)
    if check_rc is not None and p.returncode != check_rc:
        raise AssertionError(f"pio-bench {' '.join(args)}: exit {p.returncode}, expected "
                             f"{check_rc}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def kv_json(bench, model, *args, env=None):
    """The JSON document of `pio-bench kv --model MODEL --json ARGS`."""
    p = run(bench, "kv", "--model", model, "--json", *args, env=env, check_rc=0)
    return json.loads(p.stdout)
