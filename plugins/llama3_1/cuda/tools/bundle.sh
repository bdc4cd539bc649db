#!/usr/bin/env bash
# plugins/llama3_1/cuda/tools/bundle.sh BUILD DEST — gathers what a GPU
# machine with only the NVIDIA driver and CUDA needs to run a build made
# here (docs/cuda.md): the binaries and modules of BUILD at their relative
# paths (so their $ORIGIN rpaths hold), the Debian libraries they link that such a machine
# lacks (json-c, libltdl, PCRE2, utf8proc, libsubunit, liburing, UCX, libnuma) from this machine, the model presets, and gpu_check.sh.
set -euo pipefail
build=$(cd "$1" && pwd)
dest=$2
src=$(cd "$(dirname "$0")/../../../.." && pwd)
rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/models"
dest=$(mkdir -p "$dest" && cd "$dest" && pwd)
copy() { # paths relative to the build folder (globs expand there)
  for f in "$@"; do
    mkdir -p "$dest/build/$(dirname "$f")"
    cp -a "$f" "$dest/build/$f"
  done
}
cd "$build"
copy sdk/libpio-sdk.so* host/libpio-host.so* host/pio-host benchmarks/pio-bench \
  benchmarks/pio_bench_cuda.so plugins/llama3_1/pio_llama3_1.so \
  plugins/llama3_1/pio_llama3_1_cuda.so plugins/llama3_1/plugin_manifest.json \
  plugins/llama3_1/cuda/pio-cuda-tune tests/test_llama3_1_cuda
# pio-bench links liburing (kvio) and UCX (kvxfer); UCX needs libnuma.
for lib in libjson-c.so.5 libltdl.so.7 libpcre2-8.so.0 libutf8proc.so.2 libsubunit.so.0 \
           liburing.so.2 libucp.so.0 libucs.so.0 libuct.so.0 libucm.so.0 libnuma.so.1; do
  cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$dest/lib/"
done
cp "$src"/manifests/models/*.json "$dest/models/"
cp "$src/plugins/llama3_1/cuda/tools/gpu_check.sh" "$dest/"
du -sh "$dest"
