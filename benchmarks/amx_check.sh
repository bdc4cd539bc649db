#!/usr/bin/env bash
# benchmarks/amx_check.sh BUILD [OUT] — on an AMX machine, from a checkout
# whose BUILD was made elsewhere (docs/kernels.md, "Measuring on the AMX
# machine": the Debian libraries it links carried beside it and named in
# LD_LIBRARY_PATH): the AMX and kernel tests, the forward pass against the
# PyTorch reference in each weight layout, the tile kernel alone at 16
# threads with row-major, tiled (A operand) and paired (B operand) weights,
# the one-token kernel on each layout, and pio-bench run for llama-3.2-1b
# alternating PIO_WEIGHT_LAYOUT=rows, tiles and pairs.  Logs go to OUT (default ./amx-out); the
# last lines sum up each figure per layout (medians of the runs).
# PIO_AMX_CHECK_RUNS (default 2) pio-bench runs a layout; PIO_AMX_CHECK_THREADS
# (default: every core); PIO_AMX_CHECK_PYTHON the Python with numpy and torch
# (default python3).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "${1:?usage: amx_check.sh BUILD [OUT]}" && pwd)
out=${2:-./amx-out}
mkdir -p "$out"
threads=${PIO_AMX_CHECK_THREADS:-$(nproc)}
runs=${PIO_AMX_CHECK_RUNS:-2}
py=${PIO_AMX_CHECK_PYTHON:-python3}
export PIO_PLUGIN_PATH=$b/plugins PIO_MODELS_PATH=$src/manifests/models
export XDG_CACHE_HOME=$out/cache
failures=0
step() { echo; echo "=== $*"; }
check_failed() { echo "CHECK FAILED: $*"; failures=$((failures + 1)); }

step "machine"
grep -m1 "model name" /proc/cpuinfo
echo "cores: $(nproc), threads used: $threads, amx_bf16: $(grep -c -m1 amx_bf16 /proc/cpuinfo)"
missing=$(ldd "$b/benchmarks/pio-bench" | grep "not found")
[ -z "$missing" ] || { check_failed "libraries not found: $missing"; exit 1; }

step "tests"
for t in test_kernels_amx test_kernels_amx_emulated test_kernels test_weights test_llama3_1_model; do
  [ -x "$b/tests/$t" ] || continue
  (cd "$b/tests" && timeout 300 "./$t" > "$out/$t.log" 2>&1)
  rc=$?
  echo "$t: exit $rc, $(tail -1 "$out/$t.log")"
  [ "$rc" = 0 ] || [ "$rc" = 77 ] || check_failed "$t exit $rc"
done
if "$py" -c "import numpy, torch" 2>/dev/null; then
  for layout in rows tiles pairs; do
    PIO_WEIGHT_LAYOUT=$layout timeout 300 "$py" "$src/tests/test_llama3_1_forward.py" \
      "$b/host/pio-host" -k reference > "$out/forward-$layout.log" 2>&1
    rc=$?
    echo "forward vs reference, $layout: exit $rc, $(tail -1 "$out/forward-$layout.log")"
    [ "$rc" = 0 ] || check_failed "forward vs reference with PIO_WEIGHT_LAYOUT=$layout"
  done
else
  echo "forward vs reference: skipped ($py lacks numpy or torch)"
fi

step "the tile kernel alone, $threads threads (GFLOP/s, median of 7)"
micro() { # LABEL ARGS...: one pio-kernels-micro line, logged
  local label=$1
  shift
  timeout 120 "$b/benchmarks/pio-kernels-micro" --threads "$threads" "$@" 2>&1 | tail -1 |
    tee -a "$out/micro.log" | sed "s/^/$label /"
}
for round in 1 2; do
  for shape in "3072 2048 128" "16384 2048 128" "2048 8192 128" "16384 2048 512" \
               "2048 8192 512"; do
    set -- $shape
    for layout in rows tiles pairs; do
      micro "r$round $layout" --path amx_bf16 --rows "$1" --cols "$2" --n "$3" --reps 7 \
        --layout "$layout"
    done
  done
done

step "one token (decode's kernel), $threads threads"
for round in 1 2; do
  for layout in rows tiles pairs; do
    micro "r$round $layout" --path avx512 --rows 8192 --cols 2048 --n 1 --reps 15 --layout "$layout"
  done
done

step "pio-bench run llama-3.2-1b, $threads threads, layouts alternating"
for i in $(seq "$runs"); do
  for layout in rows tiles pairs; do
    log=$out/bench-$layout-$i.log
    PIO_WEIGHT_LAYOUT=$layout timeout 300 "$b/benchmarks/pio-bench" run --model llama-3.2-1b \
      --synthetic --threads "$threads" --prompt-tokens 128,512 --gen-tokens 16 --repeat 5 \
      --no-progress --json-out "$out/bench-$layout-$i.json" > "$log" 2>&1
    rc=$?
    echo "-- $layout run $i: exit $rc"
    grep -E "^(why|load|prefill|decode|peak RSS)" "$log"
    [ "$rc" = 0 ] || check_failed "pio-bench ($layout, run $i) exit $rc"
  done
done

step "summary: medians per layout"
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
FIELDS = ("prefill_tokens_per_second", "prefill_percent_of_limit", "decode_tokens_per_second",
          "decode_percent_of_limit", "load_seconds", "peak_rss_bytes")
for layout in ("rows", "tiles", "pairs"):
    figures = {}
    for path in sorted(glob.glob(f"{out}/bench-{layout}-*.json")):
        try:
            report = json.load(open(path))
        except (OSError, ValueError):
            continue
        for run in report.get("runs", [report]):
            for field in FIELDS:
                if isinstance(run.get(field), (int, float)):
                    figures.setdefault((run.get("prompt_tokens"), field), []).append(run[field])
    for (prompt, field), values in sorted(figures.items()):
        print(f"{layout:5} prompt {prompt}: {field} median {statistics.median(values):.4g} "
              f"of {len(values)} runs {['%.4g' % v for v in values]}")
PY
echo
echo "checks failed: $failures"
exit $((failures > 0))
