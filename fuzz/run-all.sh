#!/usr/bin/env bash
# fuzz/run-all.sh SECONDS [BUILD_DIR] — a bounded run of every libFuzzer
# target: SECONDS each (CI uses 60).  Configures BUILD_DIR (default
# build-fuzz) with clang and -Dfuzzers=true when it does not exist yet, and
# builds the fuzzers.  Each target starts from its seed corpus
# (fuzz/corpus/TARGET) and kept regressions (fuzz/regressions/TARGET);
# inputs it discovers go to BUILD_DIR/fuzz-work/TARGET, never into the
# repository.  A crash leaves its input in BUILD_DIR/fuzz-artifacts/TARGET/
# and makes the script exit 1 after the other targets have run; keep such
# an input under fuzz/regressions/TARGET/ once the bug is fixed.
set -euo pipefail
seconds=${1:?usage: fuzz/run-all.sh SECONDS [BUILD_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$root/build-fuzz}
targets=(json manifest registry_cache llama_config deepseek_config family_configs safetensors safetensors_index
         tokenizer template kvxfer_wire)

if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzzers=true -Dcuda=disabled -Dtests=disabled -Db_lundef=false
fi
ninja -C "$build" -j"${FUZZ_JOBS:-2}" "${targets[@]/#/fuzz/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  work=$build/fuzz-work/$t
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$work" "$artifacts"
  seeds=("$root/fuzz/corpus/$t")
  [ -d "$root/fuzz/regressions/$t" ] && seeds+=("$root/fuzz/regressions/$t")
  echo "== fuzz_$t: ${seconds}s"
  if ! "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$work" "${seeds[@]}" > "$build/fuzz-work/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 40 "$build/fuzz-work/$t.log"
  else
    grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz-work/$t.log" || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzers that found a problem: ${failed[*]} (inputs under $build/fuzz-artifacts/)"
  exit 1
fi
echo "all fuzzers ran ${seconds}s without a finding"
