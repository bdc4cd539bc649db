#!/usr/bin/env bash
# tests/fault/run-ci.sh BUILD_DIR — the fault-injection runs CI makes
# (.ci/run): every N of open, read, mmap, write, fsync and rename along a
# plain listing, a listing that writes the registry cache, an `info` (a
# trial load in a child) and a `run` of a tiny Llama (a model load), and
# malloc sampled (the first 3 calls of each call site, the first 3 N,
# every 10th N), with BUILD_DIR's pio-host (the ASan build: leaks and
# memory errors end a run with a status of their own).  Every N of malloc:
# --families malloc without --first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: tests/fault/run-ci.sh BUILD_DIR}" && pwd)
work=$(mktemp -d /tmp/pio-fault-ci-XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O1 -o "$work/pio_fault.so" "$root/tests/fault/pio_fault.c" -ldl
mkdir "$work/plugins"
cp -r "$build/tests/fixtures/good" "$build/tests/fixtures/missing_symbol" "$work/plugins/"
for scenario in list cache info load; do
  /usr/bin/python3 "$root/tests/fault/fault_run.py" "$scenario" --pio-host "$build/host/pio-host" \
    --shim "$work/pio_fault.so" --fixtures "$work/plugins" \
    --families open,read,mmap,write,fsync,rename --jobs 2
  /usr/bin/python3 "$root/tests/fault/fault_run.py" "$scenario" --pio-host "$build/host/pio-host" \
    --shim "$work/pio_fault.so" --fixtures "$work/plugins" \
    --families malloc --first 3 --stride 10 --jobs 2
done
