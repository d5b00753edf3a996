// Times lorafn's CUDA matrix kernels on a GPU, on the 1b preset's shapes, against the device's own read bandwidth
// measured in the same run (a read-only pass over 2 GiB):
//   nvcc -O3 -gencode arch=compute_90,code=sm_90 -o bench_kernels kernels/src/test/cuda/bench_kernels.cu && ./bench_kernels
// Every matrix is cycled through copies worth at least 1 GiB, so no product is served from the L2 cache.
// Prints one line per (kernel, shape, batch): microseconds a product, weight GB/s and that as a fraction of the read
// bandwidth, the median of five timed passes. The kernels are the very source the build compiles to PTX.
#ifdef LORAFN_KERNELS // another version of the kernels to time, e.g. -DLORAFN_KERNELS='"/tmp/old/lorafn_kernels.cu"'
#include LORAFN_KERNELS
#else
#include "../../main/cuda/lorafn_kernels.cu"
#endif
#include "cuda_check.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

__global__ void read_all(const uint4 *p, size_t n, unsigned *sink) {
    unsigned v = 0;
    for (size_t i = blockIdx.x * (size_t) blockDim.x + threadIdx.x; i < n; i += (size_t) gridDim.x * blockDim.x) {
        uint4 w = p[i];
        v ^= w.x ^ w.y ^ w.z ^ w.w;
    }
    if (v == 0x9e3779b9u) { // almost never true; keeps the loads
        *sink = v;
    }
}


static float median(std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Median over five passes of the milliseconds one call of launch(i) takes, i cycling over the copies.
template <typename F> static float time_ms(int copies, int calls, F launch) {
    cudaEvent_t start, stop;
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
    for (int i = 0; i < copies; i++) {
        launch(i); // warm-up: first launch of each kernel, TLB
    }
    std::vector<float> passes;
    for (int pass = 0; pass < 5; pass++) {
        CHECK(cudaEventRecord(start));
        for (int i = 0; i < calls; i++) {
            launch(i % copies);
        }
        CHECK(cudaEventRecord(stop));
        CHECK(cudaEventSynchronize(stop));
        float ms;
        CHECK(cudaEventElapsedTime(&ms, start, stop));
        passes.push_back(ms / calls);
    }
    CHECK(cudaGetLastError());
    return median(passes);
}

static unsigned long long rng = 0x243f6a8885a308d3ull;
static unsigned next_random() {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (unsigned) (rng >> 32);
}

// One Q8_0 matrix in tiles (as the image holds it): random bytes, scales in [2^-10, 2^-6) as F16.
static std::vector<uint8_t> q8_0_tiles(int rows, int cols) {
    int blocks = cols / 32, pairs = (blocks + 1) / 2, tiles = (rows + 15) / 16;
    std::vector<uint8_t> m((size_t) tiles * pairs * 1088);
    for (auto &b : m) b = (uint8_t) next_random();
    for (size_t t = 0; t < (size_t) tiles * pairs; t++) {
        for (int s = 0; s < 32; s++) { // the scale line: 16 rows x 2 blocks
            unsigned short h = (unsigned short) ((0x1400 + (next_random() % 0x1000)) & 0x7fff); // positive normal halves
            std::memcpy(&m[t * 1088 + 2 * s], &h, 2);
        }
    }
    return m;
}

struct Shape { const char *name; int rows, cols; };

int main() {
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    std::printf("device: %s, compute capability %d.%d, %d SMs, L2 %d MB\n", prop.name, prop.major, prop.minor,
                prop.multiProcessorCount, prop.l2CacheSize >> 20);

    size_t readBytes = (size_t) 2 << 30;
    uint4 *big;
    unsigned *sink;
    CHECK(cudaMalloc(&big, readBytes));
    CHECK(cudaMalloc(&sink, 4));
    CHECK(cudaMemset(big, 1, readBytes));
    float readMs = time_ms(1, 3, [&](int) { read_all<<<prop.multiProcessorCount * 8, 512>>>(big, readBytes / 16, sink); });
    double readGbs = readBytes / (readMs * 1e-3) / 1e9;
    std::printf("read bandwidth: %.0f GB/s (read-only pass over 2 GiB)\n", readGbs);
    CHECK(cudaFree(big));

    const Shape shapes[] = {{"q/o 2048x2048", 2048, 2048}, {"gate/up 8192x2048", 8192, 2048}, {"down 2048x8192", 2048, 8192},
                            {"head 128256x2048", 128256, 2048}};
    const int batches[] = {1, 8, 16};
    const int warps = 8;
    std::printf("%-12s %-18s %5s %10s %8s %9s\n", "kernel", "shape", "batch", "us/product", "GB/s", "fraction");
    for (const Shape &s : shapes) {
        std::vector<uint8_t> q8 = q8_0_tiles(s.rows, s.cols);
        size_t bf16Bytes = (size_t) s.rows * s.cols * 2;
        int copies = (int) std::max<size_t>(2, ((size_t) 1 << 30) / q8.size());
        std::vector<uint8_t *> dq(copies);
        std::vector<uint16_t *> db(copies);
        for (int i = 0; i < copies; i++) {
            CHECK(cudaMalloc(&dq[i], q8.size()));
            CHECK(cudaMemcpy(dq[i], q8.data(), q8.size(), cudaMemcpyHostToDevice));
        }
        int bf16Copies = (int) std::max<size_t>(2, ((size_t) 1 << 30) / bf16Bytes);
        db.resize(bf16Copies);
        std::vector<uint16_t> hb((size_t) s.rows * s.cols);
        for (auto &v : hb) v = (uint16_t) (0x3c00 + next_random() % 0x400); // [2^-7, 2^-6)
        for (int i = 0; i < bf16Copies; i++) {
            CHECK(cudaMalloc(&db[i], bf16Bytes));
            CHECK(cudaMemcpy(db[i], hb.data(), bf16Bytes, cudaMemcpyHostToDevice));
        }
        std::vector<float> hx((size_t) 16 * s.cols);
        for (auto &v : hx) v = (float) (int) (next_random() % 2001 - 1000) / 1000.0f;
        float *x, *out;
        CHECK(cudaMalloc(&x, hx.size() * 4));
        CHECK(cudaMemcpy(x, hx.data(), hx.size() * 4, cudaMemcpyHostToDevice));
        CHECK(cudaMalloc(&out, (size_t) 16 * s.rows * 4));
        int grid = (s.rows + warps - 1) / warps;
        for (int batch : batches) {
            int calls = std::max(20, 4 * copies);
#ifdef TILE_WARPS // a block per tile of 16 rows
            float q8Ms = time_ms(copies, calls, [&](int i) {
                q8_0_matmul<<<(s.rows + 15) / 16, 32 * TILE_WARPS>>>(dq[i], x, out, s.rows, s.cols, batch); });
#else // versions before 2026-11-27: a warp per row
            float q8Ms = time_ms(copies, calls, [&](int i) { q8_0_matmul<<<grid, 32 * warps>>>(dq[i], x, out, s.rows, s.cols, batch); });
#endif
            float bfMs = time_ms(bf16Copies, std::max(20, 4 * bf16Copies),
                                 [&](int i) { bf16_matmul<<<grid, 32 * warps>>>(db[i], x, out, s.rows, s.cols, batch); });
            double q8Gbs = q8.size() / (q8Ms * 1e-3) / 1e9, bfGbs = bf16Bytes / (bfMs * 1e-3) / 1e9;
            std::printf("%-12s %-18s %5d %10.1f %8.0f %9.3f\n", "q8_0_matmul", s.name, batch, q8Ms * 1e3, q8Gbs, q8Gbs / readGbs);
            std::printf("%-12s %-18s %5d %10.1f %8.0f %9.3f\n", "bf16_matmul", s.name, batch, bfMs * 1e3, bfGbs, bfGbs / readGbs);
        }
        for (auto p : dq) CHECK(cudaFree(p));
        for (auto p : db) CHECK(cudaFree(p));
        CHECK(cudaFree(x));
        CHECK(cudaFree(out));
    }
    return 0;
}
