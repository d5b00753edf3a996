#!/usr/bin/env bash
# The C products alone (kernel_bench.c): builds them from kernels/src/main/c with the kernels' own flags and
# runs the given measurement, or, with no arguments, the set RESULTS.md quotes. Needs gcc and an AVX-512 CPU.
#   benchmarks/native/kernel-bench.sh                       probe, then every product on the 1b shapes
#   benchmarks/native/kernel-bench.sh probe
#   benchmarks/native/kernel-bench.sh alternate [REPS [KERNEL...]]  products (default: the 8-bit ones) against read passes before and after
#   benchmarks/native/kernel-bench.sh KERNEL ROWS COLS BATCH THREADS [MB]
#   BUILD=avx2 benchmarks/native/kernel-bench.sh ...        the same, on the AVX2 build's products
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SRC="$ROOT/kernels/src/main/c"
OUT="$ROOT/benchmarks/target/native"
mkdir -p "$OUT"
# the flags of the kernels' build (kernels/pom.xml); the hashes then match what the JVM calls. BUILD=avx2 times the
# AVX2 build's products instead (the harness itself stays AVX-512); both builds print the same hashes.
FLAGS="-O3 -ffp-contract=off -fno-math-errno -Wall -Wextra -Werror -I$SRC"
if [ "${BUILD:-avx512}" = avx2 ]; then
  gcc $FLAGS -march=x86-64-v3 -c -o "$OUT/kernels_avx2.o" "$SRC/lorafn_cpu_kernels_avx2.c"
  gcc $FLAGS -march=x86-64-v4 -o "$OUT/kernel_bench" "$ROOT/benchmarks/native/kernel_bench.c" "$OUT/kernels_avx2.o" -lpthread
else
  gcc $FLAGS -march=x86-64-v4 -o "$OUT/kernel_bench" \
      "$ROOT/benchmarks/native/kernel_bench.c" "$SRC/lorafn_cpu_kernels.c" "$SRC/lorafn_int8_products.c" -lpthread
fi
if [ $# -gt 0 ]; then
  exec "$OUT/kernel_bench" "$@"
fi
"$OUT/kernel_bench" probe
# the 1b preset's two shapes that hold most of its weights: gate/up (8192 x 2048) and down (2048 x 8192)
for kernel in bf16 q8_0 q4_0 q8_0-int8 q4_0-int8 bf16-bf16; do
  for shape in "8192 2048" "2048 8192"; do
    for threads in 1 2; do
      "$OUT/kernel_bench" $kernel $shape 1 $threads          # batch 1 from memory (256 MB streamed)
    done
    "$OUT/kernel_bench" $kernel $shape 1 1 4                   # batch 1, one copy read again and again (L3 where it fits)
    "$OUT/kernel_bench" $kernel $shape 8 1                     # batch 8, one thread
  done
done
