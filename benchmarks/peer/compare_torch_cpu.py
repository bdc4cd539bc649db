#!/usr/bin/python3
"""benchmarks/peer/compare_torch_cpu.py — pio's matmul kernel
(`pio-kernels-micro`) and PyTorch's CPU matmul (oneDNN on x86) on the same
shapes, dtype, thread count and rotated weights, round after round in the
same minute, beside the tile and FMA peaks measured in the same run.

    compare_torch_cpu.py --kernels-micro PIO_KERNELS_MICRO [--path amx_bf16]
        [--threads T] [--shapes 3072x2048x128,...] [--reps 7] [--rounds 2]
        [--json-out FILE]

A shape ROWSxCOLSxTOKENS is y[TOKENS][ROWS] = x[TOKENS][COLS] W[ROWS][COLS]^T
with bf16 W and x (pio keeps x in f32 and rounds it to bf16 inside the
matmul; PyTorch is given bf16 x, as a bf16 model holds it).  Both rotate
over as many copies of W as pio-kernels-micro does (its "over N MiB"), so
neither reads its weights from a cache.  Each figure is the median of its
rounds' medians; the percentages are of the best pass of the peak that
bounds the path (tdpbf16ps for amx_bf16, vdpbf16ps for avx512bf16, the
widest vfmadd231ps otherwise), measured before and after the rounds.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

DEFAULT_SHAPES = "3072x2048x128,16384x2048x128,2048x8192x128,3072x2048x512,16384x2048x512,2048x8192x512"
PEAK_OF_PATH = {"amx_bf16": "tdpbf16ps", "avx512bf16": "vdpbf16ps zmm",
                "avx512": "vfmadd231ps zmm", "avx2": "vfmadd231ps ymm"}


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        m = re.fullmatch(r"(\d+)x(\d+)x(\d+)", item.strip())
        if not m or 0 in tuple(int(v) for v in m.groups()):
            sys.exit(f"--shapes: '{item}' is not ROWSxCOLSxTOKENS of positive whole numbers")
        shapes.append(tuple(int(v) for v in m.groups()))
    return shapes


def run_micro(a, args):
    cmd = [a.kernels_micro, "--threads", str(a.threads)] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return p.stdout


def measure_peaks(a):
    """{instruction: best GFLOP/s} of `pio-kernels-micro --peaks`."""
    peaks = {}
    for line in run_micro(a, ["--peaks"]).splitlines():
        m = re.match(r"peak (.+) threads=\d+: best ([\d.]+) GFLOP/s", line)
        if m:
            peaks[m.group(1)] = float(m.group(2))
    return peaks


def pio_matmul(a, rows, cols, n):
    """(median seconds, MiB the weights rotate over) of one pio matmul."""
    out = run_micro(a, ["--path", a.path, "--rows", str(rows), "--cols", str(cols), "--n", str(n),
                        "--reps", str(a.reps)])
    mib = re.search(r"over (\d+) MiB", out)
    us = re.search(r"n=\d+ threads=\d+: median ([\d.]+) us", out)
    if not mib or not us:
        sys.exit(f"pio-kernels-micro printed no timing for {rows}x{cols}x{n}:\n{out}")
    return float(us.group(1)) * 1e-6, int(mib.group(1))


def torch_matmul(torch, rows, cols, n, mib, reps):
    """Median seconds of F.linear(x, W) over copies of W filling mib MiB."""
    import torch.nn.functional as F
    copies = max(2, (mib << 20) // (rows * cols * 2))
    ws = [torch.randn(rows, cols).to(torch.bfloat16) for _ in range(copies)]
    x = torch.randn(n, cols).to(torch.bfloat16)
    for w in ws[:2]:
        F.linear(x, w)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for w in ws:
            F.linear(x, w)
        times.append((time.perf_counter() - t0) / copies)
    return statistics.median(times)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels-micro", required=True)
    ap.add_argument("--path", default="amx_bf16", choices=sorted(PEAK_OF_PATH))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--shapes", default=DEFAULT_SHAPES)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json-out")
    a = ap.parse_args(argv)
    if a.threads < 1 or a.reps < 1 or a.rounds < 1:
        sys.exit("--threads, --reps and --rounds must be at least 1")
    shapes = parse_shapes(a.shapes)
    try:
        import torch
    except ImportError as e:
        sys.exit(f"PyTorch is needed (Debian: python3-torch, run with /usr/bin/python3): {e}")
    torch.set_num_threads(a.threads)
    name = PEAK_OF_PATH[a.path]
    peaks_before = measure_peaks(a)
    if peaks_before.get(name, 0.0) <= 0:  # before the rounds: without it nothing can be bounded
        sys.exit(f"pio-kernels-micro --peaks measured no {name} peak on this CPU")
    samples = {s: {"pio": [], "torch": []} for s in shapes}
    for _ in range(a.rounds):
        for s in shapes:
            seconds, mib = pio_matmul(a, *s)
            samples[s]["pio"].append(seconds)
            samples[s]["torch"].append(torch_matmul(torch, *s, mib, a.reps))
    peaks_after = measure_peaks(a)
    peak = max(peaks_before[name], peaks_after.get(name, 0.0))
    print(f"{a.path} against PyTorch {torch.__version__} (oneDNN), bf16, {a.threads} threads, "
          f"median of {a.rounds} rounds x {a.reps} reps; {name} peak {peak:.0f} GFLOP/s (best pass)")
    print(f"{'rows x cols x tokens':<22} {'pio us':>9} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'torch us':>9} {'GFLOP/s':>8} {'% peak':>7} {'pio/torch':>9}")
    rows = []
    for s in shapes:
        flop = 2.0 * s[0] * s[1] * s[2]
        ours, theirs = (statistics.median(samples[s][k]) for k in ("pio", "torch"))
        r = {"rows": s[0], "cols": s[1], "tokens": s[2], "pio_seconds": ours,
             "torch_seconds": theirs, "pio_gflops": flop / ours * 1e-9,
             "torch_gflops": flop / theirs * 1e-9, "speedup": theirs / ours,
             "samples": samples[s]}
        for k in ("pio", "torch"):
            r[k + "_percent_of_peak"] = 100.0 * r[k + "_gflops"] / peak
            if r[k + "_percent_of_peak"] > 100.0:
                sys.exit(f"{k} {s}: {r[k + '_gflops']:.0f} GFLOP/s is above the {name} peak "
                         f"({peak:.0f}): the peak's measurement is wrong")
        rows.append(r)
        print(f"{'x'.join(map(str, s)):<22} {ours * 1e6:>9.1f} {r['pio_gflops']:>8.0f} "
              f"{r['pio_percent_of_peak']:>6.1f}% {theirs * 1e6:>9.1f} {r['torch_gflops']:>8.0f} "
              f"{r['torch_percent_of_peak']:>6.1f}% {r['speedup']:>8.2f}x")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"path": a.path, "threads": a.threads, "torch": torch.__version__,
                       "peak_instruction": name, "peak_gflops": peak,
                       "peaks_before": peaks_before, "peaks_after": peaks_after, "rows": rows},
                      f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
