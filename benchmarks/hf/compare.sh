#!/usr/bin/env bash
# benchmarks/hf/compare.sh DIR TEXT [REPEAT] — pio against Hugging Face
# tokenizers on one thread, in one run under the shared benchmark lock:
# Hugging Face encodes TEXT (hf_tokenize.js, npm's `tokenizers`, found
# through NODE_PATH), then `pio-bench tokenize` encodes it and checks that
# its ids are the same; prints both rates and their ratio.  Needs node and
# `npm install tokenizers` somewhere on NODE_PATH; BUILD (default build) is
# the pio build folder.  Not part of the test suite.
set -euo pipefail
dir=${1:?usage: compare.sh DIR TEXT [REPEAT]}
text=${2:?usage: compare.sh DIR TEXT [REPEAT]}
repeat=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
json=$dir
[ -d "$dir" ] && json=$dir/tokenizer.json
ids=$(mktemp)
trap 'rm -f "$ids" "$ids.pio"' EXIT
lock=${BENCH_LOCK:-/work/notes/bench.lock}
run() {
  hf=$(RAYON_NUM_THREADS=1 taskset -c 0 node "$here/hf_tokenize.js" "$json" "$text" "$repeat" "$ids")
  taskset -c 0 "$build/benchmarks/pio-bench" tokenize "$dir" --text "$text" --repeat "$repeat" \
    --reference-ids "$ids" --json > "$ids.pio" || { cat "$ids.pio"; echo "ids differ"; exit 1; }
  /usr/bin/python3 - "$hf" "$ids.pio" <<'PY'
import json, sys
hf = json.loads(sys.argv[1]); pio = json.load(open(sys.argv[2]))
print(f"text: {pio['bytes']/1e6:.2f} MB, {pio['documents']} documents, {pio['tokens']} tokens; one thread, medians of {pio['repeat']}")
print(f"  Hugging Face tokenizers  {hf['encode_mb_per_s']:8.2f} MB/s {hf['tokens_per_s']:12.0f} tokens/s")
print(f"  pio                      {pio['encode_mb_per_s']:8.2f} MB/s {pio['tokens_per_s']:12.0f} tokens/s")
print(f"  reading the text         {pio['read_mb_per_s']:8.2f} MB/s")
print(f"  pio / Hugging Face       {pio['encode_mb_per_s']/hf['encode_mb_per_s']:8.2f}x   ids identical: {pio['reference_ids_identical']}")
PY
}
if [ -e "$lock" ] && [ -z "${IN_BENCH_LOCK:-}" ]; then
  export IN_BENCH_LOCK=1
  exec flock "$lock" "$0" "$@"
fi
run
