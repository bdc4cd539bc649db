#!/usr/bin/env bash
# tests/fault/run-ci.sh BUILD_DIR — the fault-injection runs CI makes
# (.ci/run): every N of open, read, mmap, write, fsync and rename along a
# plain listing and along a listing that writes the registry cache, with
# BUILD_DIR's pio-host (the ASan build: leaks and memory errors end a run
# with a status of their own).  malloc is left out here until the listing
# survives every allocation failure (docs/reliability.md says where it
# stands); run it by hand with --families malloc.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: tests/fault/run-ci.sh BUILD_DIR}" && pwd)
work=$(mktemp -d /tmp/pio-fault-ci-XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O1 -o "$work/pio_fault.so" "$root/tests/fault/pio_fault.c" -ldl
mkdir "$work/plugins"
cp -r "$build/tests/fixtures/good" "$build/tests/fixtures/missing_symbol" "$work/plugins/"
for scenario in list cache; do
  /usr/bin/python3 "$root/tests/fault/fault_run.py" "$scenario" --pio-host "$build/host/pio-host" \
    --shim "$work/pio_fault.so" --fixtures "$work/plugins" \
    --families open,read,mmap,write,fsync,rename
done
