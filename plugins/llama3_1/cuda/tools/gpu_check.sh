#!/usr/bin/env bash
# plugins/llama3_1/cuda/tools/gpu_check.sh [OUT] — on a GPU machine, from a
# folder made by bundle.sh: the host's choice of llama3_1's variant (cuda
# where the driver and device meet its needs; cpu when the driver is ruled
# out), the CUDA module's correctness test against the CPU module, the
# decode settings timed (pio-cuda-tune), and pio-bench run for llama-3.2-1b
# and llama-3.1-8b shapes with the device's limits, in the variant the host
# chose.  Logs and JSON go to OUT (default ./out).  PIO_GPU_CHECK_TORCH,
# _NCU, _SANITIZER=0 and PIO_GPU_CHECK_TUNE_MODELS= leave parts out;
# PIO_GPU_CHECK_PREFILL=0 the 8B prefill run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-${OUT:-$here/out}}
mkdir -p "$out"
# cuBLASLt comes with CUDA (or with PyTorch's wheels); the rest was carried.
cublas=$(find /usr/local/cuda/lib64 /usr/local /opt /usr/lib -name 'libcublasLt.so.1[0-9]*' \
         2>/dev/null | head -1)
export LD_LIBRARY_PATH="$here/lib:$(dirname "${cublas:-/nonexistent/x}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PIO_MODELS_PATH="$here/models"
export XDG_CACHE_HOME="$out/cache"
b=$here/build
# The build's plugins, as a user points at a bundle: its llama3_1 folder
# lists the variants cuda and cpu, and the host chooses (no --variant).
export PIO_PLUGIN_PATH=$b/plugins
chmod -R go-w "$here"

step() { echo; echo "=== $*"; }
failures=0
check_failed() { echo "CHECK FAILED: $*"; failures=$((failures + 1)); }
step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1
echo "cuBLASLt: ${cublas:-not found}"
step "the variants as the host judges them"
"$b/host/pio-host" list 2>&1 | tee "$out/list.log"
"$b/host/pio-host" info llama3_1 2>&1 | sed -n '/^Variants/,/^$/p' | tee "$out/variants.log"
"$b/host/pio-host" list --json llama3_1 > "$out/list.json"
chosen=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"][0]["variant"])' \
         "$out/list.json" 2>&1)
echo "variant chosen for llama3_1: $chosen"
[ "$chosen" = cuda ] || check_failed "the host did not choose the cuda variant"
echo "with the driver ruled out (PIO_CUDA_DRIVER names no file):"
PIO_CUDA_DRIVER=/nonexistent/libcuda.so.1 "$b/host/pio-host" list llama3_1 2>&1 | sed -n 2p
step "correctness: CUDA module vs CPU module"
timeout 300 "$b/tests/test_llama3_1_cuda" "$b/plugins/llama3_1" 2>&1 | tee "$out/test.log"
test_rc=${PIPESTATUS[0]}
echo "test exit: $test_rc"
[ "$test_rc" = 0 ] || check_failed "test_llama3_1_cuda exit $test_rc"
for model in ${PIO_GPU_CHECK_TUNE_MODELS-llama-3.2-1b llama-3.1-8b}; do
  step "decode settings: $model"
  timeout 100 "$b/plugins/llama3_1/cuda/pio-cuda-tune" "$PIO_MODELS_PATH/$model.json" 128 50 2>&1 |
    tee "$out/tune-$model.log"
done
bench() { # NAME PROMPT GEN: pio-bench run in the variant the host chooses, table and JSON
  step "pio-bench run $1 ($2 prompt + $3 generated)"
  timeout 60 "$b/benchmarks/pio-bench" run --model "$1" --synthetic \
    --prompt-tokens "$2" --gen-tokens "$3" --repeat 5 --no-progress \
    --json-out "$out/bench-$1-$2.json" 2>&1 | tee "$out/bench-$1-$2.log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || { check_failed "pio-bench run $1 exit $rc"; return; }
  python3 - "$out/bench-$1-$2.json" <<'PY' || check_failed "pio-bench run $1 did not run the cuda variant"
import json, sys
m = json.load(open(sys.argv[1]))["model"]
print("variant run:", m.get("variant"))
sys.exit(m.get("variant") != "cuda")
PY
}
bench llama-3.2-1b 128 128
bench llama-3.1-8b 128 128
[ "${PIO_GPU_CHECK_PREFILL:-1}" = 1 ] && bench llama-3.1-8b 512 16
if [ "${PIO_GPU_CHECK_TORCH:-1}" = 1 ] && python3 -c 'import torch' 2>/dev/null; then
  step "PyTorch on the same device, for comparison (not a limit pio-bench uses)"
  python3 - <<'PY' 2>&1 | tee "$out/torch.log"
import torch
dev = "cuda"
def timed(fn, n):
    fn(); torch.cuda.synchronize()
    times = []
    for _ in range(5):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(n): fn()
        b.record(); b.synchronize()
        times.append(a.elapsed_time(b) / 1e3 / n)
    return sorted(times)[2]
n = 8192
x = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
y = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
t = timed(lambda: x @ y, 5)
print(f"torch bf16 matmul {n}^3: {2 * n**3 / t / 1e12:.1f} TFLOP/s")
buf = torch.randn(4 << 30 >> 1, device=dev, dtype=torch.bfloat16)  # 4 GiB
t = timed(lambda: buf.sum(dtype=torch.float32), 5)
print(f"torch sum over 4 GiB bf16: {buf.numel() * 2 / t / 1e9:.1f} GB/s read")
PY
fi
if [ "${PIO_GPU_CHECK_NCU:-1}" = 1 ] && command -v ncu >/dev/null; then
  for model in ${PIO_GPU_CHECK_NCU_MODELS:-llama-3.2-1b llama-3.1-8b}; do
    step "ncu: one decode step's kernels, each alone ($model)"
    PIO_TUNE_DEFAULT_ONLY=1 timeout 240 ncu --clock-control none --graph-profiling node \
      -k 'regex:gemv_kernel|attention_decode' --launch-count "$([ $model = llama-3.2-1b ] && echo 81 || echo 12)" \
      --metrics gpu__time_duration.sum,dram__bytes_read.sum --csv --print-units base \
      "$b/plugins/llama3_1/cuda/pio-cuda-tune" "$PIO_MODELS_PATH/$model.json" 128 1 \
      > "$out/ncu-$model.csv" 2> "$out/ncu-$model.err"
    echo "ncu exit: $?"
    python3 - "$out/ncu-$model.csv" <<'PY'
import csv, sys, re, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
if not rows: sys.exit("no ncu rows")
head = rows[0]; rows = rows[1:]
ki, mi, vi = head.index("Kernel Name"), head.index("Metric Name"), head.index("Metric Value")
ii = head.index("ID")
per = collections.OrderedDict()
for r in rows:
    per.setdefault(r[ii], {"name": r[ki]})[r[mi]] = float(r[vi].replace(",", ""))
for i, k in per.items():
    t = k.get("gpu__time_duration.sum", 0); b = k.get("dram__bytes_read.sum", 0)
    name = re.sub(r"\(anonymous namespace\)::", "", k["name"])[:60]
    print(f"{i:>4} {name:60s} {t/1e3:9.2f} us {b/1e6:9.2f} MB {b/t if t else 0:8.1f} GB/s")
PY
  done
fi
if [ "${PIO_GPU_CHECK_SANITIZER:-1}" = 1 ] && command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck on the correctness test"
  timeout 240 compute-sanitizer --tool memcheck --error-exitcode 9 \
    "$b/tests/test_llama3_1_cuda" "$b/plugins/llama3_1" > "$out/memcheck.log" 2>&1
  memcheck_rc=$?
  echo "memcheck exit: $memcheck_rc"; tail -25 "$out/memcheck.log"
  [ "$memcheck_rc" = 0 ] || check_failed "compute-sanitizer memcheck exit $memcheck_rc"
fi
step "summary"
if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "every check passed"
