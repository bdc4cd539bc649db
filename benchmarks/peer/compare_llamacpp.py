#!/usr/bin/python3
"""benchmarks/peer/compare_llamacpp.py — `pio-bench run` and llama.cpp's
llama-bench on the same shapes, dtype and thread count, one after the
other in the same minute, with the ratio of each figure.

    compare_llamacpp.py --pio-bench PIO_BENCH --llama-bench LLAMA_BENCH
        [--preset llama-3.2-1b] [--gguf FILE] [--threads T] [--prompts 128,512]
        [--gen 32] [--repeat 5] [--kernel PATH] [--plugin-path DIR] [--json-out FILE]

The GGUF (random weights of the preset's shapes, bf16) is written by
write_gguf.py beside this script when FILE does not exist.  pio-bench runs
the preset with --synthetic bf16 weights; llama-bench runs pp P and tg N
with -r REPEAT.  Every figure is a median of the repetitions (pio-bench's
own median; llama-bench's avg_ts is a mean, so its samples' median is
taken).  On a shared machine hold /work/notes/bench.lock around it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_pio(a, prompt):
    cmd = [a.pio_bench, "run", "--model", a.preset, "--synthetic", "--dtype", "bf16",
           "--threads", str(a.threads), "--prompt-tokens", str(prompt), "--gen-tokens",
           str(a.gen), "--repeat", str(a.repeat), "--json", "--no-progress"]
    if a.kernel:
        cmd += ["--kernel", a.kernel]
    for p in a.plugin_path:
        cmd += ["--plugin-path", p]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"pio-bench failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout)


def run_llama(a, prompts):
    cmd = [a.llama_bench, "-m", a.gguf, "-t", str(a.threads), "-p", ",".join(map(str, prompts)),
           "-n", str(a.gen), "-r", str(a.repeat), "-o", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"llama-bench failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    rows = json.loads(p.stdout)
    out = {}
    for r in rows:
        key = ("pp", r["n_prompt"]) if r["n_gen"] == 0 else ("tg", r["n_gen"])
        samples = r.get("samples_ts") or [r["avg_ts"]]
        out[key] = {"median_tokens_per_second": statistics.median(samples), "row": r}
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pio-bench", required=True)
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("--preset", default="llama-3.2-1b")
    ap.add_argument("--gguf")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--prompts", default="128,512")
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--kernel")
    ap.add_argument("--plugin-path", action="append", default=[])
    ap.add_argument("--json-out")
    a = ap.parse_args(argv)
    prompts = [int(p) for p in a.prompts.split(",")]
    config = os.path.join(ROOT, "manifests", "models", a.preset + ".json")
    if a.gguf is None:
        a.gguf = os.path.join("/tmp", a.preset + "-bf16-random.gguf")
    if not os.path.exists(a.gguf):
        subprocess.run([sys.executable, os.path.join(HERE, "write_gguf.py"), config, a.gguf],
                       check=True)
    pio = {p: run_pio(a, p) for p in prompts}
    llama = run_llama(a, prompts)
    rows = []
    for p in prompts:
        j = pio[p]
        ours, theirs = j["prefill_tokens_per_second"], llama[("pp", p)]["median_tokens_per_second"]
        rows.append({"figure": f"prefill {p}", "pio": ours, "llama_cpp": theirs,
                     "ratio": ours / theirs, "pio_percent_of_limit": j["prefill_percent_of_limit"],
                     "pio_kernel": j["model"]["kernel_prefill"], "pio_peak": j["prefill_peak"]})
    j = pio[prompts[0]]
    ours, theirs = j["decode_tokens_per_second"], llama[("tg", a.gen)]["median_tokens_per_second"]
    rows.append({"figure": f"decode {a.gen}", "pio": ours, "llama_cpp": theirs,
                 "ratio": ours / theirs, "pio_percent_of_limit": j["decode_percent_of_limit"],
                 "pio_kernel": j["model"]["kernel_decode"], "pio_peak": "memory read"})
    print(f"{a.preset}, bf16, {a.threads} threads, median of {a.repeat} (pio-bench kernel "
          f"{j['model']['kernel']}: {j['model']['kernel_why']})")
    print(f"{'figure':<14} {'pio tok/s':>12} {'llama.cpp tok/s':>16} {'ratio':>7} "
          f"{'pio % of limit':>15}")
    for r in rows:
        print(f"{r['figure']:<14} {r['pio']:>12.2f} {r['llama_cpp']:>16.2f} {r['ratio']:>7.2f} "
              f"{r['pio_percent_of_limit']:>14.1f}%")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"rows": rows, "pio": {str(p): pio[p] for p in prompts},
                       "llama_cpp": [v["row"] for v in llama.values()]}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
