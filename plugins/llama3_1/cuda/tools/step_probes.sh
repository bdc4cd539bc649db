#!/usr/bin/env bash
# plugins/llama3_1/cuda/tools/step_probes.sh DIR [OUT] — session 11's device
# run (docs/cuda.md), one call of at most about 8 minutes.  DIR holds two
# bundle.sh folders: new/ (this branch) and ref/ (main; its lib/ may be left
# out, new/lib serves both).  In order, most important first, each part
# skipped once the time budget (PIO_PROBES_BUDGET_S, default 450 s) runs out:
#   1. tests/test_llama3_1_cuda of new/ (logits against the CPU module; its
#      last case runs four attention candidates itself) under the default
#      and, whole, under two candidate settings (PIO_CUDA_DECODE);
#   2. pio-cuda-tune of new/ for llama-3.1-8b and llama-3.2-1b at a 128-token
#      context over the default, the timing probes (!MASK: wrong logits,
#      timing only) and the candidates, PIO_TUNE_ROUNDS rounds (default 3)
#      interleaved, each setting's median;
#   3. pio-bench run --synthetic --prompt-tokens 128 --gen-tokens 128
#      --repeat 5 for 1B and 8B: ref, new, new with attn_bound 512, in turn,
#      twice (three times when the time allows);
#   4. pio-cuda-tune of new/ for 8B at a 1024-token context (default and the
#      attention candidates), if time is left;
#   5. compute-sanitizer memcheck of the test under attn_block_splits 2, if
#      time is left;
#   6. a summary (also in OUT/summary.txt), printed last.
# Logs and JSON go to OUT (the device tool's $OUT where set, else DIR/out).
set -uo pipefail
dir=$(cd "$1" && pwd)
out=${2:-${OUT:-$dir/out}}
mkdir -p "$out"
budget=${PIO_PROBES_BUDGET_S:-450}
rounds=${PIO_TUNE_ROUNDS:-3}
new=$dir/new
ref=$dir/ref
cublas=$(find /usr/local/cuda/lib64 /usr/local /opt /usr/lib -name 'libcublasLt.so.1[0-9]*' \
         2>/dev/null | head -1)
export LD_LIBRARY_PATH="$new/lib:$(dirname "${cublas:-/nonexistent/x}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PIO_MODELS_PATH="$new/models"
export XDG_CACHE_HOME="$out/cache"
unset PIO_CUDA_DECODE PIO_TUNE_SWEEP PIO_TUNE_DEFAULT_ONLY
chmod -R go-w "$dir" 2>/dev/null
step() { echo; echo "=== [$SECONDS s] $*"; }
left() { echo $((budget - SECONDS)); }
cap() { # at most $1 s, and no more than 40 s past the budget
  local t=$(($(left) + 40))
  [ "$t" -gt "$1" ] && t=$1
  [ "$t" -lt 5 ] && t=5
  echo "$t"
}
failures=0
check_failed() { echo "CHECK FAILED: $*" | tee -a "$out/failures.txt"; failures=$((failures + 1)); }

# The models' defaults (lc_decode_tuning_default) in lc_decode_tuning_parse's
# form, and the candidates.  Fields: pdl,blocks/SM,stages,attn_splits,
# attn_min_positions[,attn_block_splits[,attn_bound]][/kind:blocks:stages][!probe].
D8=1,1,4,32,8
D1=1,2,8,32,8
K1=/3:1:4 # 1B's down_proj: 1 block, 4 stages

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1
echo "cuBLASLt: ${cublas:-not found}"
for b in new ref; do
  [ -x "$dir/$b/build/plugins/llama3_1/cuda/pio-cuda-tune" ] || check_failed "$b/ is not a bundle"
done

# 1. Correctness of the candidates (the test's small models use the
# hidden < 4096 default, D1 K1).
run_test() { # NAME SETTING (empty: the default)
  step "test_llama3_1_cuda ($1${2:+: PIO_CUDA_DECODE=$2})"
  local t0=$SECONDS
  PIO_CUDA_DECODE="$2" timeout "$(cap 150)" "$new/build/tests/test_llama3_1_cuda" \
    "$new/build/plugins/llama3_1" > "$out/test-$1.log" 2>&1
  local rc=$?
  grep -E 'worst row error|Checks|SKIP|Failure|Error' "$out/test-$1.log" | head -20
  echo "test $1 exit $rc ($((SECONDS - t0)) s)"
  echo "$1 $rc $((SECONDS - t0)) ${2:-default}" >> "$out/tests.txt"
  [ "$rc" = 0 ] || check_failed "test_llama3_1_cuda under $1 exit $rc"
  last_test_s=$((SECONDS - t0))
  last_test_rc=$rc
}
: > "$out/tests.txt"
run_test default ""
if [ "$last_test_rc" = 77 ]; then # no device: nothing below could run
  echo "no CUDA device (the test skipped): stopping"
  exit 1
fi
# (The test's own test_attention_settings_match_the_cpu runs four candidates on
# two shapes in every run; these run the whole test under one.)
for spec in "bound512 $D1,0,512$K1" "bsplit2min1 1,2,8,32,1,2,512$K1"; do
  if [ "$(left)" -lt $((last_test_s + 330)) ]; then echo "(skipping test ${spec%% *}: time)"; continue; fi
  run_test ${spec%% *} "${spec#* }"
done

# 2. The step's settings timed, interleaved rounds.
tune() { # NAME MODEL CONTEXT SWEEP
  step "pio-cuda-tune $2 at $3 ($rounds rounds): $1"
  PIO_TUNE_ROUNDS=$rounds PIO_TUNE_SWEEP="$4" timeout "$(cap 200)" \
    "$new/build/plugins/llama3_1/cuda/pio-cuda-tune" "$PIO_MODELS_PATH/$2.json" "$3" 50 \
    > "$out/tune-$1.log" 2>&1
  local rc=$?
  cat "$out/tune-$1.log"
  echo "tune $1 exit $rc"
  [ "$rc" = 0 ] || check_failed "pio-cuda-tune $1 exit $rc"
}
sweep() { # DEFAULT KINDS: the default, probes and candidates, the default last
  local d=$1 k=$2
  echo "$d$k;$d,0,512$k;$d$k!1;$d$k!8;$d,0,512$k!8;$d$k!4;$d$k!16;$d$k!256;$d$k!272;$d$k!128;$d$k!129;$d,2$k;$d,2,512$k;$d,4,512$k;${d%,32,8},8,8,2,512$k;${d%,32,8},4,8,4,512$k;${3:-}$d$k"
}
tune 8b-128 llama-3.1-8b 128 "$(sweep $D8 "" "$D8/1:1:5;$D8,0,512/1:1:6;")"
tune 1b-128 llama-3.2-1b 128 "$(sweep $D1 $K1)"

# 3. pio-bench, ref and new in turn.
bench() { # BUILD NAME MODEL ROUND [SETTING]
  local b=$dir/$1 tag=$2-$3-r$4
  step "pio-bench $3, $2 (round $4)${5:+ PIO_CUDA_DECODE=$5}"
  PIO_PLUGIN_PATH="$b/build/plugins" PIO_CUDA_DECODE="${5:-}" timeout "$(cap 90)" \
    "$b/build/benchmarks/pio-bench" run --model "$3" --variant cuda --synthetic --prompt-tokens 128 \
    --gen-tokens 128 --repeat 5 --no-progress --json-out "$out/bench-$tag.json" \
    > "$out/bench-$tag.log" 2>&1
  local rc=$?
  grep -E '^decode ' "$out/bench-$tag.log" | head -2
  [ "$rc" = 0 ] || check_failed "pio-bench $tag exit $rc"
}
for r in 1 2 3; do
  if [ "$r" -gt 2 ] && [ "$(left)" -lt 150 ]; then echo "(no third pio-bench round: time)"; break; fi
  if [ "$(left)" -lt 60 ]; then echo "(pio-bench round $r skipped: time)"; break; fi
  for model in llama-3.2-1b llama-3.1-8b; do
    case $model in llama-3.2-1b) cand="$D1,0,512$K1" ;; *) cand="$D8,0,512" ;; esac
    bench ref ref "$model" "$r"
    bench new new "$model" "$r"
    bench new new512 "$model" "$r" "$cand"
  done
done

# 4. A long context, where attention weighs more.
if [ "$(left)" -gt 60 ]; then
  tune 8b-1024 llama-3.1-8b 1024 "$D8;$D8,0,512;$D8!1;$D8,2,512;$D8,4,512;$D8,0,512!8;$D8"
else
  echo "(8B at 1024 skipped: time)"
fi

# 5. The shared-memory merge under compute-sanitizer, if time is left.
if [ "$(left)" -gt 90 ] && command -v compute-sanitizer >/dev/null; then
  step "compute-sanitizer memcheck, test_llama3_1_cuda with attn_block_splits 2 (bound 512)"
  PIO_CUDA_DECODE="1,2,8,32,1,2,512$K1" timeout $(($(left) - 30)) compute-sanitizer --tool memcheck \
    --error-exitcode 9 "$new/build/tests/test_llama3_1_cuda" "$new/build/plugins/llama3_1" \
    > "$out/memcheck.log" 2>&1
  rc=$?
  echo "memcheck exit $rc (124: out of time, not a failure)"; tail -5 "$out/memcheck.log"
  echo "memcheck-bsplit2 $rc - 1,2,8,32,1,2,512$K1 (compute-sanitizer)" >> "$out/tests.txt"
  [ "$rc" = 0 ] || [ "$rc" = 124 ] || check_failed "memcheck exit $rc"
else
  echo "(memcheck skipped: time or no compute-sanitizer)"
fi

# 6. Summary.
step "summary"
python3 - "$out" <<'PY' 2>&1 | tee "$out/summary.txt"
import glob, json, os, re, statistics, sys
out = sys.argv[1]
print("tests (test_llama3_1_cuda of new/, logits against the CPU module):")
for line in open(os.path.join(out, "tests.txt")):
    name, rc, secs, setting = line.split(None, 3)
    print(f"  {name:12s} exit {rc:>3s} {secs:>4s} s  {setting.strip()}")
PROBES = {1: "no attention kernel", 4: "attention without its merge",
          8: "attention returns at its wait", 16: "o_proj does not wait",
          128: "no RMSNorm inputs", 256: "attention does not wait for qkv"}
KINDS = ["qkv", "o_proj", "gate_up", "down", "lm_head"]
def parse(s):
    body, _, probe = s.partition("!")
    main, *kinds = body.split("/")
    f = main.split(",") + ["0", "0"]
    return f, set(kinds), int(probe or 0)
def what(s, default):
    if s == default: return "default (main's behaviour)"
    f, kinds, probe = parse(s)
    df, dkinds, _ = parse(default)
    parts = []
    if f[3] != df[3] or f[4] != df[4]: parts.append(f"{f[3]} splits of >= {f[4]} positions")
    if f[5] not in ("0", "1"):
        parts.append(f"{f[5]} splits a block" + (" (one block a KV head)" if f[5] == f[3] else ""))
    if f[6] == "512": parts.append("attention bound 512")
    for k in sorted(kinds - dkinds):
        kind, blk, st = k.split(":")
        parts.append(f"{KINDS[int(kind)]} {blk} block(s), {st} stages")
    names = [t for b, t in PROBES.items() if probe & b]
    if probe: return "PROBE, wrong logits: " + "; ".join(names) + (" [" + ", ".join(parts) + "]" if parts else "")
    return "candidate: " + ", ".join(parts)
for log in sorted(glob.glob(os.path.join(out, "tune-*.log"))):
    rows = []
    for line in open(log):
        f = line.split()
        if len(f) >= 7 and re.match(r"^[0-9.]+$", f[0]):
            rows.append((float(f[0]), float(f[3]), float(f[4]), f[5], f[6]))
        elif len(f) >= 7 and f[0] == "-":
            rows.append((None, None, None, "-", f[6] + " " + " ".join(f[7:])[:60]))
    if not rows or rows[0][0] is None:
        print(f"\n{os.path.basename(log)}: no rows"); continue
    default = rows[0][4]
    base = statistics.mean([r[0] for r in rows if r[4] == default and r[0] is not None])
    print(f"\n{os.path.basename(log)}: median us a step over the rounds; against the default's "
          f"{base:.1f} us (mean of its first and last rows)")
    for us, lo, hi, dl, s in rows:
        if us is None:
            print(f"  {'failed':>8s} {'':>8s} {'':>11s} {'':>8s}  {s}"); continue
        print(f"  {us:8.1f} {us - base:+8.1f} {100 * (us - base) / base:+7.2f} % "
              f"[{lo:.0f}-{hi:.0f}] {dl:>12s}  {s:32s} {what(s, default)}")
def find(j, key):
    if isinstance(j, dict):
        if key in j: return j[key]
        for v in j.values():
            r = find(v, key)
            if r is not None: return r
    elif isinstance(j, list):
        for v in j:
            r = find(v, key)
            if r is not None: return r
    return None
print("\npio-bench run --synthetic 128 + 128 --repeat 5: decode tok/s (% of the limit measured in that run)")
runs = {}
for p in sorted(glob.glob(os.path.join(out, "bench-*.json"))):
    m = re.match(r"bench-(\w+)-(llama-[\w.-]+)-r(\d)\.json", os.path.basename(p))
    if not m: continue
    try: j = json.load(open(p))
    except Exception as e: print("  unreadable", p, e); continue
    tok, pct, var = find(j, "decode_tokens_per_second"), find(j, "decode_percent_of_limit"), find(j, "variant")
    runs.setdefault((m.group(2), m.group(1)), []).append((int(m.group(3)), tok, pct, var))
for (model, build), v in sorted(runs.items()):
    v.sort()
    cells = "  ".join(f"r{r}: {t:.1f} ({p:.1f} %)" for r, t, p, _ in v if t is not None and p is not None)
    pcts = [p for _, t, p, _ in v if p is not None]
    toks = [t for _, t, p, _ in v if t is not None]
    med = f"median {statistics.median(toks):.1f} tok/s, {statistics.median(pcts):.1f} %" if pcts else ""
    variants = ",".join(sorted({str(x) for *_, x in v}))
    print(f"  {model:13s} {build:7s} {cells}  | {med}  (variant {variants})")
PY
if [ -s "$out/failures.txt" ]; then echo; echo "failures:"; cat "$out/failures.txt"; fi
echo "step_probes.sh done in $SECONDS s, $failures failure(s)"
exit $((failures > 0))
