// CHECK(call): a CUDA runtime call that must succeed; otherwise the file, line, call and CUDA's error, and exit 2.
// Shared by the GPU-side test programs (check_kernels.cu, bench_kernels.cu).
#ifndef LORAFN_CUDA_CHECK_H
#define LORAFN_CUDA_CHECK_H
#include <cstdio>
#include <cstdlib>

#define CHECK(call) do { cudaError_t e = (call); if (e != cudaSuccess) { \
    std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e)); std::exit(2); } } while (0)

#endif
