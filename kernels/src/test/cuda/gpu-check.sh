#!/usr/bin/env bash
# Checks lorafn's CUDA kernels against the CPU backend on a GPU.
#   kernels/src/test/cuda/gpu-check.sh prepare DIR   (here: needs the built kernels module, JDK 25 and nvcc)
#       writes DIR/golden (inputs and the CPU backend's outputs) and DIR/check_kernels (sm_80, sm_90, PTX for newer)
#   DIR/check_kernels DIR/golden                      (on the GPU machine: exit 0 when every kernel agrees)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
[ "${1:-}" = "prepare" ] && [ -n "${2:-}" ] || { echo "usage: $0 prepare DIR" >&2; exit 2; }
DIR="$2"
mkdir -p "$DIR"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
"$JAVA" --add-modules jdk.incubator.vector -cp "$ROOT/kernels/target/classes:$ROOT/kernels/target/test-classes" \
  io.lorafn.kernels.cuda.GoldenData "$DIR/golden" 2> >(grep -v 'incubator modules' >&2)
nvcc -O2 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
  -cudart static -Werror all-warnings -o "$DIR/check_kernels" "$ROOT/kernels/src/test/cuda/check_kernels.cu"
echo "copy $DIR to the GPU machine and run: $DIR/check_kernels $DIR/golden"
